// aiops: follow an automation run's events as they arrive (Server-Sent Events), then show its
// summary. The page holds the events stored when it was rendered; the stream starts after the
// last of them (?after=), and EventSource resumes a dropped connection with Last-Event-ID.
document.addEventListener("DOMContentLoaded", () => {
  const run = document.getElementById("run");
  if (!run || run.dataset.finished === "true" || !window.EventSource) return;
  const list = document.getElementById("run-events");
  const count = document.getElementById("event-count");
  let last = Number(run.dataset.after || 0);

  const span = (className, text) => {
    const element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  };
  const duration = (seconds) => {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 10) return `${seconds.toFixed(1)} s`;
    const whole = Math.round(seconds);
    if (whole < 60) return `${whole} s`;
    const pad = (n) => String(n).padStart(2, "0");
    if (whole < 3600) return `${Math.floor(whole / 60)} min ${pad(whole % 60)} s`;
    return `${Math.floor(whole / 3600)} h ${pad(Math.floor((whole % 3600) / 60))} min`;
  };
  const render = (event) => {
    const item = document.createElement("li");
    item.dataset.seq = String(event.seq);
    item.className = event.status ? `ev ev-${event.status}` : "ev";
    const head = span("ev-head", "");
    head.append(span("seq", String(event.seq)), " ", span("kind", event.event));
    if (event.host) head.append(" ", span("host", event.host));
    if (event.task) head.append(" ", span("task", event.task));
    if (event.status) head.append(" ", span("ev-status", event.status));
    item.append(head);
    const text = (event.stdout || "").replace(/^[\r\n]+|[\r\n]+$/g, "");
    if (text) {
      const pre = document.createElement("pre");
      pre.textContent = text;
      item.append(pre);
    }
    return item;
  };

  const source = new EventSource(`${run.dataset.eventsUrl}?after=${last}`);
  source.onmessage = (message) => {
    const seq = Number(message.lastEventId);
    if (!(seq > last)) return; // already shown: never twice
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 8;
    list.append(render(JSON.parse(message.data)));
    last = seq;
    count.textContent = String(list.children.length);
    if (atBottom) window.scrollTo(0, document.body.scrollHeight);
  };
  source.addEventListener("status", (message) => {
    document.getElementById("run-status").textContent = message.data;
  });
  source.addEventListener("end", (message) => {
    source.close();
    const done = JSON.parse(message.data);
    document.getElementById("run-status").textContent = done.status;
    document.getElementById("run-rc").textContent = done.rc === null ? "—" : String(done.rc);
    document.getElementById("run-duration").textContent = duration(done.duration_seconds);
    const reason = document.getElementById("run-reason");
    if (reason && done.reason) {
      reason.textContent = done.reason;
      reason.hidden = false;
    }
    const rows = document.getElementById("summary-rows");
    rows.replaceChildren(
      ...done.summary.map((host) => {
        const row = document.createElement("tr");
        for (const key of ["host", "ok", "changed", "failed", "unreachable", "skipped"]) {
          const cell = document.createElement("td");
          cell.textContent = String(host[key]);
          row.append(cell);
        }
        return row;
      }),
    );
    document.getElementById("run-summary").hidden = false;
    const cancel = document.getElementById("cancel-form");
    if (cancel) cancel.remove();
    run.dataset.finished = "true";
  });
});
