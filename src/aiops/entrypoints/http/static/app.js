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
});
