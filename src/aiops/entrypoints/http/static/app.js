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
});
