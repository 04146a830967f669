// Confirmation for destructive buttons (forms with data-confirm). Plain forms keep
// working without this script; it only adds the question.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
