"""The offline sandbox: the real bot with the Telegram, Kie and Novita emulators in one process,
and a web chat page to talk to it."""
