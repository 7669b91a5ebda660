// aiops: the browser's terminal (docs/guide/terminal.md, "In the browser").
// An xterm.js terminal attached to a session's tmux window through the WebSocket of
// /sessions/{id}/terminal (its protocol: binary frames are the screen's bytes and the keys; text
// frames are JSON control messages). A plain ES module, served as a file (the CSP allows no
// inline script). xterm.js is loaded with import(): when static/vendor/ is missing (`make
// vendor` not run) the page keeps its read-only pane view, as without JavaScript.

const VENDOR = "/static/vendor/";
const PING_MS = 25000;
const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 10000;
// Close reasons (and codes) after which reconnecting would be refused again or pointless.
const FINAL_REASONS = new Set(["ended", "signed-out", "revoked"]);
const FINAL_CODES = new Set([4401, 4403]);
// The sessions page connects at most this many previews at once: the visible ones first.
export const MAX_PREVIEWS = 4;

const encoder = new TextEncoder();

let vendor = null;
/** xterm.js and its addons, loaded once; rejects when static/vendor/ is not there. */
export function loadXterm() {
  if (!vendor) {
    vendor = Promise.all([
      import(`${VENDOR}xterm.js`),
      import(`${VENDOR}addon-fit.js`),
      import(`${VENDOR}addon-search.js`),
      import(`${VENDOR}addon-web-links.js`),
    ]).then(([xterm, fit, search, links]) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = `${VENDOR}xterm.css`;
      document.head.append(css);
      return {
        Terminal: xterm.Terminal,
        FitAddon: fit.FitAddon,
        SearchAddon: search.SearchAddon,
        WebLinksAddon: links.WebLinksAddon,
      };
    });
  }
  return vendor;
}

/** The WebSocket's address for a terminal at `path` (same host, ws: or wss: as the page). */
export function socketUrl(path, csrf, cols, rows, preview = false) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const query = new URLSearchParams({ csrf, cols: String(cols), rows: String(rows) });
  // A preview attaches as a watcher: its 80x24 never sizes the window, its keys are never read.
  if (preview) query.set("view", "preview");
  return `${scheme}//${window.location.host}${path}?${query}`;
}

/**
 * One terminal's connection: opens the WebSocket, writes the screen's bytes into `term`, sends
 * keys (unless read-only), resizes and pings; reconnects with backoff (0.5 s doubling to 10 s)
 * unless the server said the session ended, the user signed out or lost the role.
 * `onState(state, text)` tells the status line: connecting, connected, read-only,
 * reconnecting, closed.
 */
export class TerminalLink {
  constructor({ path, csrf, term, onState, watchOnly = false }) {
    this.path = path;
    this.csrf = csrf;
    this.term = term;
    this.onState = onState;
    this.watchOnly = watchOnly; // a preview: never sends a key, whatever the server allows
    this.readOnly = true; // until the hello says otherwise
    this.socket = null;
    this.retryMs = FIRST_RETRY_MS;
    this.retryTimer = null;
    this.pingTimer = null;
    this.attached = false; // a hello came before: the next one is a reconnect
    this.stopped = false;
  }

  connect() {
    this.stopped = false;
    this.onState("connecting", "connecting…");
    const socket = new WebSocket(
      socketUrl(this.path, this.csrf, this.term.cols, this.term.rows, this.watchOnly),
    );
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    let closed = null; // the server's "closed" message, when it sent one
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        this.term.write(new Uint8Array(event.data));
        return;
      }
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message.type === "hello") {
        if (this.attached) this.term.reset(); // tmux repaints the whole screen on a fresh attach
        this.attached = true;
        this.retryMs = FIRST_RETRY_MS;
        this.readOnly = this.watchOnly || message.read_only === true;
        this.onState(this.readOnly ? "read-only" : "connected", this.readOnly ? "read-only" : "connected");
        this.sendResize(); // the size may have changed while connecting
      } else if (message.type === "closed") {
        closed = message;
      }
    });
    socket.addEventListener("open", () => {
      this.pingTimer = setInterval(() => this.sendControl({ type: "ping" }), PING_MS);
    });
    socket.addEventListener("close", (event) => {
      clearInterval(this.pingTimer);
      if (this.socket === socket) this.socket = null;
      this.readOnly = true;
      if (this.stopped) return;
      const reason = closed ? closed.reason : null;
      if ((reason && FINAL_REASONS.has(reason)) || FINAL_CODES.has(event.code)) {
        const why = reason || (event.code === 4401 ? "signed-out" : "revoked");
        const more = closed && closed.message ? ` (${closed.message})` : "";
        this.onState("closed", `closed: ${why}${more}`);
        this.stopped = true;
        return;
      }
      const seconds = (this.retryMs / 1000).toFixed(1).replace(/\.0$/, "");
      const before = reason ? `closed: ${reason}; ` : "";
      this.onState("reconnecting", `${before}reconnecting in ${seconds} s…`);
      this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
    });
  }

  /** Stop for good (a preview scrolled away): no reconnect. */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
  }

  isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /** Keys or a paste as UTF-8 bytes; nothing leaves a read-only terminal. */
  sendText(text) {
    if (!this.readOnly && this.isOpen() && text) this.socket.send(encoder.encode(text));
  }

  /** xterm.js's onBinary: a string of bytes (e.g. an X10 mouse report), each char one byte. */
  sendBinary(text) {
    if (this.readOnly || !this.isOpen()) return;
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i) & 0xff;
    this.socket.send(bytes);
  }

  sendResize() {
    if (!this.watchOnly) this.sendControl({ type: "resize", cols: this.term.cols, rows: this.term.rows });
  }

  sendControl(message) {
    if (this.isOpen()) this.socket.send(JSON.stringify(message));
  }
}

/** `data` as if Ctrl and/or Alt were held (the key bar's sticky modifiers). */
export function withModifiers(data, ctrl, alt) {
  if (!ctrl && !alt) return data;
  const arrow = /^\x1b[[O]([ABCD])$/.exec(data);
  if (arrow) return `\x1b[1;${1 + (alt ? 2 : 0) + (ctrl ? 4 : 0)}${arrow[1]}`;
  let out = data;
  if (ctrl && data.length === 1) {
    const code = data.toUpperCase().charCodeAt(0);
    if (code >= 64 && code <= 95) out = String.fromCharCode(code - 64); // ^@ .. ^_
    else if (data === " ") out = "\x00";
    else if (data === "?") out = "\x7f";
  }
  return alt ? `\x1b${out}` : out;
}

/** The key bar's bytes for a key (arrows follow the application's cursor key mode). */
function keyBytes(key, term) {
  const arrows = { up: "A", down: "B", right: "C", left: "D" };
  if (key in arrows) return `${term.modes.applicationCursorKeysMode ? "\x1bO" : "\x1b["}${arrows[key]}`;
  return { esc: "\x1b", tab: "\t" }[key] ?? key;
}

function copySelection(term) {
  const text = term.getSelection();
  if (!text) return;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).catch(() => {});
  }
}

/** The session page: the terminal replaces the read-only pane view. */
async function openTerminal(box) {
  let x;
  try {
    x = await loadXterm();
  } catch (error) {
    box.dataset.state = "unavailable"; // the pane view stays
    return;
  }
  const pane = document.getElementById("pane");
  const screen = box.querySelector(".term-screen");
  const status = box.querySelector(".term-status");
  const term = new x.Terminal({
    cursorBlink: true,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: window.matchMedia("(max-width: 600px)").matches ? 12 : 14,
    scrollback: 1000, // tmux keeps the history: the wheel scrolls it (mouse on, see the guide)
    theme: { background: "#111111" },
  });
  const fit = new x.FitAddon();
  const search = new x.SearchAddon();
  term.loadAddon(fit);
  term.loadAddon(search);
  term.loadAddon(new x.WebLinksAddon());
  box.hidden = false;
  term.open(screen);
  const link = new TerminalLink({
    path: box.dataset.terminalUrl,
    csrf: box.dataset.csrf,
    term,
    onState: (state, text) => {
      box.dataset.state = state;
      status.textContent = text;
      if ((state === "connected" || state === "read-only") && !box.classList.contains("attached")) {
        // Attached once: the terminal replaces the pane view (app.js's poller stops when it
        // sees the pane hidden). Until then (no route, a refusal) the pane view goes on.
        box.classList.add("attached");
        if (pane) pane.hidden = true;
      }
    },
  });
  const refit = () => {
    fit.fit();
    box.dataset.cols = String(term.cols);
    box.dataset.rows = String(term.rows);
  };

  // Sticky modifiers: Ctrl or Alt on the key bar applies to the next key, typed or tapped.
  const modifiers = { ctrl: false, alt: false };
  const modifierButtons = {};
  const setModifier = (name, on) => {
    modifiers[name] = on;
    if (modifierButtons[name]) modifierButtons[name].setAttribute("aria-pressed", String(on));
  };
  const send = (data) => {
    const out = withModifiers(data, modifiers.ctrl, modifiers.alt);
    setModifier("ctrl", false);
    setModifier("alt", false);
    link.sendText(out);
  };
  term.onData(send); // typing and paste (xterm.js brackets a paste when the program asks)
  term.onBinary((data) => link.sendBinary(data));
  term.onResize(() => link.sendResize());
  // Copy what the mouse (or a finger) selects; a search's match is selected too, but it does
  // not replace the clipboard.
  screen.addEventListener("pointerup", () => setTimeout(() => copySelection(term), 0));

  for (const button of box.querySelectorAll(".term-keys button")) {
    const key = button.dataset.key;
    if (key === "ctrl" || key === "alt") modifierButtons[key] = button;
    // Keep the focus (and the on-screen keyboard) on the terminal.
    button.addEventListener("pointerdown", (event) => event.preventDefault());
    button.addEventListener("click", () => {
      if (key === "ctrl" || key === "alt") setModifier(key, !modifiers[key]);
      else send(keyBytes(key, term));
      term.focus();
    });
  }

  const form = box.querySelector(".term-search");
  const needle = form.querySelector("input");
  // Enter finds the next match, Shift+Enter the previous one; the buttons say which.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const previous = event.submitter && event.submitter.value === "previous";
    if (previous) search.findPrevious(needle.value);
    else search.findNext(needle.value);
  });
  needle.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (event.shiftKey) search.findPrevious(needle.value);
    else search.findNext(needle.value);
  });

  // On a phone the terminal fills the visual viewport: the key bar stays above the keyboard.
  const viewport = window.visualViewport;
  const place = () => {
    if (viewport) {
      box.style.setProperty("--term-height", `${viewport.height}px`);
      box.style.setProperty("--term-top", `${viewport.offsetTop}px`);
    }
    refit();
  };
  if (viewport) viewport.addEventListener("resize", place);
  new ResizeObserver(() => refit()).observe(screen);
  window.addEventListener("resize", place);
  place();
  link.connect();
  term.focus();
}

/** The sessions page: a small read-only preview of each live session, at most MAX_PREVIEWS
 * connected at once (the ones on screen; a preview scrolled away lets another connect). */
async function openPreviews(boxes) {
  let x;
  try {
    x = await loadXterm();
  } catch (error) {
    return;
  }
  const links = new Map();
  const visible = new Set();
  const rebalance = () => {
    for (const [box, link] of links) {
      if (!visible.has(box)) {
        link.stop();
        links.delete(box);
        box.dataset.state = "paused";
      }
    }
    for (const box of boxes) {
      if (links.size >= MAX_PREVIEWS) break;
      if (!visible.has(box) || links.has(box)) continue;
      if (!box.term) {
        box.term = new x.Terminal({ cols: 80, rows: 24, fontSize: 7, disableStdin: true, cursorBlink: false, scrollback: 0 });
        box.term.open(box);
      } else {
        box.term.reset();
      }
      const link = new TerminalLink({
        path: box.dataset.terminalUrl,
        csrf: box.dataset.csrf,
        term: box.term,
        watchOnly: true,
        onState: (state) => { box.dataset.state = state; },
      });
      links.set(box, link);
      link.connect();
    }
  };
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) visible.add(entry.target);
      else visible.delete(entry.target);
    }
    rebalance();
  });
  for (const box of boxes) {
    box.hidden = false;
    observer.observe(box);
  }
}

const box = document.getElementById("terminal");
if (box) openTerminal(box);
const previews = [...document.querySelectorAll(".term-preview")];
if (previews.length) openPreviews(previews);
