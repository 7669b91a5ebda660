// aiops: small progressive enhancements (served as a file: the CSP allows no inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  const filter = document.getElementById("project-filter");
  if (filter) {
    filter.addEventListener("input", () => {
      const needle = filter.value.trim().toLowerCase();
      for (const card of document.querySelectorAll(".project-card")) {
        card.hidden = needle !== "" && !card.dataset.search.includes(needle);
      }
      for (const section of document.querySelectorAll("section.tenant")) {
        const cards = section.querySelectorAll(".project-card");
        section.hidden = cards.length > 0 && [...cards].every((card) => card.hidden);
      }
    });
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  const pane = document.getElementById("pane");
  if (pane) {
    // The session page's read-only live view: the pane's text, fetched every second.
    const status = document.getElementById("session-status");
    const refresh = async () => {
      if (pane.hidden) { clearInterval(timer); return; } // the terminal (terminal.js) took over
      const response = await fetch(pane.dataset.paneUrl, { cache: "no-store" });
      if (!response.ok) return;
      const atBottom = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
      pane.textContent = await response.text();
      if (atBottom) pane.scrollTop = pane.scrollHeight;
      if (status) status.textContent = response.headers.get("X-Session-Status") || status.textContent;
      if (status && status.textContent === "exited") clearInterval(timer);
    };
    const timer = setInterval(refresh, 1000);
  }
  // A clone or fetch from a card: the form is sent in the background while the card shows
  // git's progress (polled once a second) and a Cancel button; when it is done, the page is
  // loaded again to show the result. Without JS the forms post as usual.
  const size = (n) => {
    const units = ["B", "KiB", "MiB", "GiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
  };
  const watch = (block) => {
    const bar = block.querySelector("progress");
    const label = block.querySelector(".ws-percent");
    let seen = false;
    const poll = async () => {
      let response;
      try {
        response = await fetch(block.dataset.progressUrl, { cache: "no-store" });
      } catch (error) {
        return;
      }
      if (!response.ok) return;
      const { progress } = await response.json();
      if (!progress) {
        if (seen && !block.dataset.sending) window.location.reload();
        return;
      }
      seen = true;
      bar.value = progress.percent;
      let text = `${progress.operation}: ${progress.phase} ${progress.percent}%`;
      if (progress.objects_total) text += ` (${progress.objects_done}/${progress.objects_total})`;
      if (progress.bytes_received !== null) text += `, ${size(progress.bytes_received)}`;
      label.textContent = text;
    };
    block.hidden = false;
    poll();
    return setInterval(poll, 1000);
  };
  for (const block of document.querySelectorAll(".ws-progress:not([hidden])")) watch(block);
  for (const form of document.querySelectorAll("form[data-transfer]")) {
    form.addEventListener("submit", async (event) => {
      const card = form.closest(".project-card");
      const block = card && card.querySelector(".ws-progress");
      if (!block) return;
      event.preventDefault();
      block.dataset.sending = "1";
      for (const button of card.querySelectorAll("form[data-transfer] button")) button.disabled = true;
      watch(block);
      try {
        await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), redirect: "manual" });
      } finally {
        window.location.reload(); // the result (or the refusal) as a flash message
      }
    });
  }
  for (const form of document.querySelectorAll("form.ws-cancel")) {
    form.addEventListener("submit", async (event) => {
      if (!form.closest(".ws-progress").dataset.sending) return; // a plain post, as without JS
      event.preventDefault();
      form.querySelector("button").disabled = true;
      await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), redirect: "manual" });
    });
  }
});
