// The sandbox chat page: renders one user's private chat with the bot from the server's event
// feed (long poll), and sends what the user types, picks and presses. Every piece of text from a
// message is put in the page with textContent, never parsed as HTML.
"use strict";

const API = "/sandbox/api";
const MAX_UPLOAD_BYTES = 30 * 1024 * 1024;
const ACTIONS = {
  typing: "typing…",
  upload_photo: "sending a photo…",
  upload_video: "sending a video…",
  record_video: "recording a video…",
  upload_voice: "sending audio…",
  upload_document: "sending a file…",
};
const COLOURS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
const URL_OR_COMMAND = /(https?:\/\/[^\s<>"]+)|(^|\s)(\/[a-z0-9_]{1,32})(?=$|\s|@)/gi;

const state = {
  users: [],
  languages: [],
  user: null,
  empty: false,
  after: 0,
  poll: null,
  nodes: new Map(),
  pendingFiles: [],
  actionTimer: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

async function post(path, body) {
  const init = { method: "POST", headers: { "X-Sandbox-Page": "1" } };
  if (body instanceof FormData) {
    init.body = body;
  } else {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, init);
  let answer = {};
  try {
    answer = await response.json();
  } catch (_) {
    answer = { error: response.status === 413 ? "that upload is too big" : response.statusText };
  }
  if (!response.ok) notice(answer.error || `refused (${response.status})`, true);
  return response.ok;
}

// --- users ---------------------------------------------------------------------------------

function avatar(name, id) {
  const node = el("div", "avatar", (name || "?").slice(0, 1).toUpperCase());
  node.style.background = COLOURS[id % COLOURS.length];
  return node;
}

function languageSelect(selected, label) {
  const select = el("select", "language");
  select.setAttribute("aria-label", label);
  select.title = "The Telegram app's language";
  for (const language of state.languages) {
    const option = el("option", "", language.name);
    option.value = language.code;
    select.append(option);
  }
  select.value = selected;
  return select;
}

function appLanguage(code) {
  return state.languages.find((language) => language.code === code) || state.languages[0];
}

function renderUsers() {
  const list = $("users");
  list.replaceChildren();
  for (const user of state.users) {
    const item = el("li", "user-row");
    const button = el("button", "user-switch");
    button.type = "button";
    button.dataset.user = String(user.id);
    if (state.user && user.id === state.user.id) button.classList.add("active");
    const label = el("span", "label");
    label.append(el("span", "", user.name), el("span", "role", user.admin ? "admin" : "user"));
    button.append(avatar(user.name, user.id), label);
    button.addEventListener("click", () => switchTo(user));
    const language = languageSelect(user.language_code, `${user.name}'s app language`);
    language.dataset.user = String(user.id);
    language.addEventListener("change", () => pickLanguage(user, language.value));
    item.append(button, language);
    list.append(item);
  }
}

// As in Telegram, a user's app language is theirs: their next messages and presses carry it.
async function pickLanguage(user, code) {
  if (await post("/languages", { user: user.id, language_code: code })) {
    user.language_code = code;
    if (state.user === user && state.empty) showIntro(user);
  }
  renderUsers();
}

async function addGuest() {
  const next = Math.max(...state.users.map((u) => u.id)) + 1;
  const code = $("new-user-language").value;
  const guest = { id: next, name: `Guest ${next}`, admin: false, language_code: code };
  if (!(await post("/languages", { user: next, language_code: code }))) return;
  state.users.push(guest);
  switchTo(guest);
}

function switchTo(user) {
  if (state.poll) state.poll.abort();
  state.user = user;
  state.after = 0;
  state.nodes.clear();
  hideIntro();
  $("messages").replaceChildren();
  $("me").textContent = `you are ${user.name}${user.admin ? " (admin)" : ""}`;
  setAction(null);
  renderUsers();
  $("composer-input").focus();
  pollLoop(user);
}

// --- the feed ------------------------------------------------------------------------------

async function pollLoop(user) {
  const control = new AbortController();
  state.poll = control;
  let wait = 0;
  while (!control.signal.aborted) {
    try {
      const query = `chat=${user.id}&after=${state.after}&wait=${wait}`;
      const response = await fetch(`${API}/events?${query}`, { signal: control.signal });
      if (!response.ok) throw new Error(String(response.status));
      const { events } = await response.json();
      if (control.signal.aborted) return;
      if (wait === 0 && events.length === 0) {
        state.empty = true;
        showIntro(user);
      }
      for (const event of events) {
        state.after = Math.max(state.after, event.seq);
        apply(event, wait === 1);
      }
      wait = 1;
    } catch (error) {
      if (control.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 1000)); // server restarting: retry
    }
  }
}

function apply(event, live) {
  hideIntro();
  if (event.type === "message") {
    const node = renderMessage(event, live);
    state.nodes.set(event.id, node);
    $("messages").append(node);
    scrollDown();
    if (!event.from_bot) return;
    setAction(null);
  } else if (event.type === "edit") {
    const old = state.nodes.get(event.id);
    if (!old) return;
    const node = renderMessage(event, false);
    old.replaceWith(node);
    state.nodes.set(event.id, node);
  } else if (event.type === "delete") {
    const node = state.nodes.get(event.id);
    if (!node) return;
    state.nodes.delete(event.id);
    node.classList.add("gone");
    setTimeout(() => node.remove(), live ? 250 : 0);
  } else if (event.type === "action") {
    setAction(event.action);
  } else if (event.type === "toast") {
    toast(event.text);
  } else if (event.type === "notice") {
    notice(event.text, false);
  }
}

function scrollDown() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
}

function setAction(action) {
  const status = $("bot-status");
  clearTimeout(state.actionTimer);
  status.textContent = (action && ACTIONS[action]) || "bot";
  status.classList.toggle("busy", Boolean(action));
  if (action) state.actionTimer = setTimeout(() => setAction(null), 5000);
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(box.timer);
  box.timer = setTimeout(() => (box.hidden = true), 3000);
}

function notice(text, error) {
  const node = el("div", error ? "notice error" : "notice", text);
  $("messages").append(node);
  scrollDown();
}

// --- an empty chat ---------------------------------------------------------------------------

// What Telegram shows before the first message: the bot's description in the app's language
// (what the bot set at start) and a Start button that sends /start.
async function showIntro(user) {
  const response = await fetch(`${API}/description?user=${user.id}`);
  if (!response.ok || state.user !== user || !state.empty) return;
  const { language_code: code, description } = await response.json();
  if (state.user !== user || !state.empty) return;
  const language = appLanguage(code);
  const card = el("div", "intro");
  card.id = "intro";
  card.lang = code;
  card.append(el("div", "intro-head", language.heading));
  const text = el("div", "intro-text");
  richText(text, description, true);
  card.append(text);
  $("intro")?.remove();
  if (description) $("messages").prepend(card);
  const start = $("start-button");
  start.textContent = language.start;
  start.lang = code;
  $("start-bar").hidden = false;
}

function hideIntro() {
  state.empty = false;
  $("intro")?.remove();
  $("start-bar").hidden = true;
}

// --- rendering -----------------------------------------------------------------------------

function renderMessage(message, live) {
  if (message.payment) return paymentLine(message);
  const wrap = el("div", `msg ${message.from_bot ? "bot" : "user"}`);
  wrap.dataset.id = String(message.id);
  if (live) wrap.classList.add("fresh");
  const bubble = el("div", "bubble");
  const media = mediaNode(message);
  if (media) bubble.classList.add("media");
  if (message.reply_to) {
    bubble.append(el("div", "quote", message.reply_to.preview || "Message"));
  }
  if (media) bubble.append(media);
  if (message.invoice) bubble.append(invoiceCard(message.invoice));
  const words = message.text ?? message.caption;
  if (words) {
    const text = el("div", media ? "caption" : "text");
    richText(text, words, message.from_bot);
    bubble.append(text);
  }
  const time = new Date((message.date || 0) * 1000);
  const clock = time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  bubble.append(el("span", "meta", `${message.edited ? "edited " : ""}${clock}`));
  wrap.append(bubble);
  if (message.keyboard) wrap.append(keyboardNode(message));
  else if (message.invoice) wrap.append(payKeyboard(message));
  return wrap;
}

// --- invoices ------------------------------------------------------------------------------

// An invoice as Telegram's apps show it: title, description and price, with a Pay button
// (the bot's own keyboard's first button when it sent one). Tests press [data-pay].
function invoiceCard(invoice) {
  const card = el("div", "invoice");
  card.append(el("div", "invoice-title", invoice.title));
  card.append(el("div", "invoice-description", invoice.description));
  card.append(el("div", "invoice-price", invoice.price));
  return card;
}

function payLabel(invoice) {
  return `${appLanguage(state.user.language_code).pay} ${invoice.price}`;
}

function payButton(message, text) {
  const key = el("button", "pay", text);
  key.type = "button";
  key.dataset.pay = String(message.id);
  key.addEventListener("click", async () => {
    key.disabled = true;
    await post("/payments", { user: state.user.id, message_id: message.id });
    key.disabled = false;
  });
  return key;
}

function payKeyboard(message) {
  const board = el("div", "keyboard");
  const line = el("div", "row");
  line.append(payButton(message, payLabel(message.invoice)));
  board.append(line);
  return board;
}

// The user's payment: a small service line, as Telegram shows it.
function paymentLine(message) {
  const label = appLanguage(state.user.language_code).paid;
  const line = el("div", "notice payment", `${label} ${message.payment.price}`);
  line.dataset.id = String(message.id);
  return line;
}

function mediaNode(message) {
  if (message.photo) {
    const image = el("img", "photo");
    image.src = message.photo;
    image.alt = "photo";
    image.addEventListener("load", scrollDown);
    image.addEventListener("click", () => lightbox(message.photo));
    return image;
  }
  if (message.video || message.animation) {
    const info = message.video || message.animation;
    const video = el("video");
    video.src = info.url;
    video.controls = true;
    video.preload = "metadata";
    video.playsInline = true;
    video.addEventListener("loadedmetadata", scrollDown);
    return video;
  }
  if (message.audio || message.voice) {
    const info = message.audio || message.voice;
    const box = el("div");
    const track = el("div", "track");
    if (info.cover) {
      const cover = el("img", "cover");
      cover.src = info.cover;
      cover.alt = "cover";
      track.append(cover);
    }
    const label = el("div");
    label.append(el("div", "title", info.title || info.name || "Audio"));
    const length = info.duration ? ` · ${Math.floor(info.duration / 60)}:${String(info.duration % 60).padStart(2, "0")}` : "";
    label.append(el("div", "performer", `${info.performer || "Unknown"}${length}`));
    track.append(label);
    const audio = el("audio");
    audio.src = info.url;
    audio.controls = true;
    audio.preload = "metadata";
    box.append(track, audio);
    return box;
  }
  if (message.document) {
    const info = message.document;
    const box = el("div", "doc");
    const extension = (info.name || "").includes(".") ? info.name.split(".").pop() : "file";
    box.append(el("div", "icon", extension.slice(0, 4).toUpperCase()));
    const link = el("a", "", info.name || "file");
    link.href = info.url;
    link.download = info.name || "file";
    const size = info.size ? `${(info.size / 1024).toFixed(1)} KB` : "";
    const label = el("div");
    label.append(link, el("div", "performer", size));
    box.append(label);
    return box;
  }
  return null;
}

// Links and /commands become clickable, as Telegram's apps make them; all else is plain text.
function richText(node, text, fromBot) {
  let last = 0;
  for (const match of text.matchAll(URL_OR_COMMAND)) {
    const [whole, url, lead, command] = match;
    node.append(text.slice(last, match.index));
    if (url) {
      const link = el("a", "", url);
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      node.append(link);
    } else if (fromBot) {
      node.append(lead);
      const span = el("span", "command", command);
      span.addEventListener("click", () => sendText(command));
      node.append(span);
    } else {
      node.append(whole);
    }
    last = match.index + whole.length;
  }
  node.append(text.slice(last));
}

function keyboardNode(message) {
  const board = el("div", "keyboard");
  for (const row of message.keyboard) {
    const line = el("div", "row");
    for (const button of row) {
      if (button.pay && message.invoice) {
        line.append(payButton(message, button.text));
        continue;
      }
      const key = el("button", "", button.text);
      key.type = "button";
      if (button.data !== undefined) {
        key.addEventListener("click", async () => {
          key.disabled = true;
          await post("/presses", { user: state.user.id, message_id: message.id, data: button.data });
          key.disabled = false;
        });
      } else if (button.url && /^https?:\/\//.test(button.url)) {
        key.addEventListener("click", () => window.open(button.url, "_blank", "noopener"));
      }
      line.append(key);
    }
    board.append(line);
  }
  return board;
}

function lightbox(url) {
  const box = el("div", "lightbox");
  const image = el("img");
  image.src = url;
  box.append(image);
  box.addEventListener("click", () => box.remove());
  document.body.append(box);
}

// --- writing -------------------------------------------------------------------------------

async function sendText(text) {
  if (!text.trim()) return;
  await post("/messages", { user: state.user.id, text });
}

function videoDuration(file) {
  if (!file.type.startsWith("video/")) return Promise.resolve(0);
  return new Promise((resolve) => {
    const probe = document.createElement("video");
    const url = URL.createObjectURL(file);
    const done = (seconds) => {
      URL.revokeObjectURL(url);
      resolve(Number.isFinite(seconds) ? seconds : 0);
    };
    probe.preload = "metadata";
    probe.onloadedmetadata = () => done(probe.duration);
    probe.onerror = () => done(0);
    setTimeout(() => done(0), 3000);
    probe.src = url;
  });
}

function showPending(files) {
  state.pendingFiles = files;
  const list = $("pending-files");
  list.replaceChildren();
  for (const file of files) {
    if (file.type.startsWith("image/")) {
      const thumb = el("img", "thumb");
      thumb.src = URL.createObjectURL(file);
      thumb.alt = file.name;
      list.append(thumb);
    } else {
      list.append(el("div", "thumb", file.name));
    }
  }
  const album = files.length > 1 ? `an album of ${files.length}` : "1 file";
  $("pending-title").textContent = `Send ${album}`;
  $("pending").hidden = files.length === 0;
  if (files.length) $("caption-input").focus();
}

async function sendFiles() {
  const files = state.pendingFiles;
  const total = files.reduce((sum, file) => sum + file.size, 0);
  if (total > MAX_UPLOAD_BYTES) {
    notice(`uploads are limited to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB at once in the sandbox`, true);
    showPending([]);
    return;
  }
  const form = new FormData();
  form.append("user", String(state.user.id));
  form.append("caption", $("caption-input").value);
  form.append("durations", JSON.stringify(await Promise.all(files.map(videoDuration))));
  for (const file of files) form.append("file", file, file.name);
  $("caption-input").value = "";
  showPending([]);
  await post("/uploads", form);
}

function wire() {
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("composer-input");
    const text = input.value;
    input.value = "";
    await sendText(text);
  });
  $("attach-input").addEventListener("change", (event) => {
    showPending(Array.from(event.target.files || []).slice(0, 10));
    event.target.value = "";
  });
  $("send-files").addEventListener("click", sendFiles);
  $("caption-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter") sendFiles();
  });
  $("pending-cancel").addEventListener("click", () => showPending([]));
  $("new-user").addEventListener("click", addGuest);
  $("start-button").addEventListener("click", () => sendText("/start"));
}

async function start() {
  wire();
  const response = await fetch(`${API}/config`);
  const config = await response.json();
  state.users = config.users;
  state.languages = config.languages;
  $("new-user-language").replaceWith(
    Object.assign(languageSelect("en", "The new user's app language"), { id: "new-user-language" }),
  );
  $("bot-name").textContent = `Photobot · @${config.bot}`;
  switchTo(state.users[0]);
}

start();
