// aiops: live session status on every page of a signed-in user (issue 18). One EventSource on
// /events/sessions gets the board of the sessions you may see whenever it changes; this file
// shows it: status text, class and "since" on elements carrying data-session-id, the session
// badges of issue rows and project cards, "(N) " in the tab title and a badge on the favicon
// for your own sessions waiting for you, and (opt-in) a browser notification when one of
// yours turns waiting. Served as a file: the CSP allows no inline scripts.
(() => {
  if (!window.EventSource) return;
  const STORE = "aiops.notify"; // "on": the user asked for browser notifications
  const baseTitle = document.title.replace(/^\(\d+\) /, "");
  let icon = null; // the page's <link rel="icon"> and its own picture
  let iconHref = "";
  let lastStatus = null; // session id -> status of my sessions at the previous board

  const since = (row) => {
    const at = new Date(row.status_since);
    const when = Number.isNaN(at.getTime()) ? row.status_since : at.toLocaleString();
    return `${row.status} since ${when} (from the ${row.status_source})`;
  };

  const setStatus = (element, row) => {
    for (const name of [...element.classList]) {
      if (name.startsWith("status-")) element.classList.remove(name);
    }
    element.classList.add(`status-${row.status}`);
    if ("liveStatus" in element.dataset) {
      element.textContent = row.status;
      element.title = since(row);
    }
  };

  const badge = (row) => {
    const link = document.createElement("a");
    link.className = `session-badge status-${row.status}`;
    link.href = `/sessions/${row.id}`;
    link.dataset.sessionId = String(row.id);
    link.title = `${row.tool}: ${since(row)}`;
    link.textContent = `${row.tool} ${row.status}`;
    return link;
  };

  const fillBadges = (selector, key, rows) => {
    for (const box of document.querySelectorAll(selector)) {
      const wanted = Number(box.dataset[key]);
      const field = key === "liveIssue" ? "issue_id" : "project_id";
      const mine = rows.filter((row) => row[field] === wanted);
      box.replaceChildren(...mine.map(badge));
      box.hidden = mine.length === 0;
    }
  };

  const drawIcon = (count) => {
    if (!icon) {
      icon = document.querySelector('link[rel="icon"]');
      if (!icon) {
        icon = document.createElement("link");
        icon.rel = "icon";
        document.head.append(icon);
      }
      iconHref = icon.getAttribute("href") || "";
    }
    if (count === 0) {
      if (iconHref) icon.setAttribute("href", iconHref);
      else icon.removeAttribute("href");
      delete icon.dataset.badge;
      return;
    }
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 32;
    const pen = canvas.getContext("2d");
    const finish = () => {
      pen.fillStyle = "#dc2626";
      pen.beginPath();
      pen.arc(22, 10, 10, 0, 2 * Math.PI);
      pen.fill();
      pen.fillStyle = "#ffffff";
      pen.font = "bold 14px sans-serif";
      pen.textAlign = "center";
      pen.textBaseline = "middle";
      pen.fillText(count > 9 ? "9+" : String(count), 22, 11);
      icon.dataset.badge = String(count);
      icon.setAttribute("href", canvas.toDataURL("image/png"));
    };
    if (!iconHref) { finish(); return; }
    const picture = new Image();
    picture.onload = () => { pen.drawImage(picture, 0, 0, 32, 32); finish(); };
    picture.onerror = finish;
    picture.src = iconHref;
  };

  const notifyOn = () =>
    "Notification" in window && Notification.permission === "granted" &&
    window.localStorage.getItem(STORE) === "on";

  const notify = (rows) => {
    const now = new Map(rows.filter((row) => row.mine).map((row) => [row.id, row.status]));
    const before = lastStatus;
    lastStatus = now;
    // Never for what was waiting at page load; only from the tab that follows the stream.
    if (before === null || !leading || !notifyOn()) return;
    for (const row of rows) {
      if (!row.mine || row.status !== "waiting" || before.get(row.id) === "waiting") continue;
      const note = new Notification(`aiops: session ${row.id} waits for you`, {
        body: `${row.tool} in project ${row.project_id}${row.issue_id ? `, issue ${row.issue_id}` : ""}`,
        tag: `aiops-session-${row.id}-waiting`,
      });
      note.onclick = () => { window.focus(); window.location.href = `/sessions/${row.id}`; };
    }
  };

  const show = (board) => {
    const rows = board.sessions;
    const byId = new Map(rows.map((row) => [String(row.id), row]));
    for (const element of document.querySelectorAll("[data-session-id]")) {
      const row = byId.get(element.dataset.sessionId);
      // Not on the board: the session has ended (the board holds every live one you may see).
      setStatus(element, row || { status: "exited", status_since: new Date().toISOString(), status_source: "pane" });
    }
    fillBadges("[data-live-issue]", "liveIssue", rows);
    fillBadges("[data-live-project]", "liveProject", rows);
    const waiting = board.waiting_mine;
    document.title = waiting > 0 ? `(${waiting}) ${baseTitle}` : baseTitle;
    document.documentElement.dataset.waitingMine = String(waiting);
    drawIcon(waiting);
    notify(rows);
  };

  const control = () => {
    const button = document.getElementById("notify-me");
    if (!button || !("Notification" in window)) return;
    const label = () => {
      const on = notifyOn();
      button.textContent = on ? "Notifications on" : "Notify me";
      button.setAttribute("aria-pressed", String(on));
      button.title = Notification.permission === "denied"
        ? "This browser blocks notifications from aiops: allow them in the site settings"
        : "A browser notification when one of your sessions waits for you";
    };
    button.hidden = false;
    label();
    button.addEventListener("click", async () => {
      if (notifyOn()) {
        window.localStorage.setItem(STORE, "off");
      } else if ((await Notification.requestPermission()) === "granted") {
        window.localStorage.setItem(STORE, "on");
      }
      label();
    });
  };

  // One stream per browser, not per tab (over HTTP/1.1 a browser opens at most 6 connections
  // to a host): the tab holding the "aiops-live" lock follows /events/sessions and passes each
  // board to the other tabs; when it closes, another tab takes the lock and the stream over.
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("aiops-live") : null;
  let lastBoard = null;
  let leading = false;
  const follow = () => {
    const source = new EventSource("/events/sessions");
    source.addEventListener("sessions", (event) => {
      lastBoard = JSON.parse(event.data);
      show(lastBoard);
      if (channel) channel.postMessage({ board: lastBoard });
    });
    source.addEventListener("error", () => {
      // Refused (signed out, 401): EventSource gives up; try again later, as another sign-in
      // in this browser may come. A dropped connection it retries by itself.
      if (source.readyState === EventSource.CLOSED) setTimeout(follow, 10_000);
    });
  };
  const lead = () => {
    leading = true;
    document.documentElement.dataset.liveRole = "leader";
    follow();
    return new Promise(() => {}); // the lock is held while this page lives
  };
  if (channel && navigator.locks) {
    document.documentElement.dataset.liveRole = "follower";
    channel.onmessage = (event) => {
      if (event.data.board) show(event.data.board);
      else if (event.data.want && lastBoard) channel.postMessage({ board: lastBoard });
    };
    channel.postMessage({ want: true }); // the leader's latest board, at once
    navigator.locks.request("aiops-live", lead);
  } else {
    lead();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", control);
  else control();
})();
