// aiops: follow an AI CLI install's output (Admin -> Settings -> CLI tools), then show its result.
document.addEventListener("DOMContentLoaded", () => {
  const out = document.getElementById("cli-run-output");
  if (!out || out.dataset.done === "true") return;
  let since = Number(out.dataset.since || 0);
  const poll = async () => {
    let data;
    try {
      const response = await fetch(`${out.dataset.poll}?since=${since}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      data = await response.json();
    } catch {
      setTimeout(poll, 3000);
      return;
    }
    if (data.lines.length) {
      out.textContent += data.lines.join("\n") + "\n";
      out.scrollTop = out.scrollHeight;
    }
    since = data.next;
    if (data.done) window.location.reload();
    else setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
});
