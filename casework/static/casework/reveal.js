// The "reveal" buttons beside masked personal data (casework.masking): ask why (required,
// logged), POST to the reveal view with the page's CSRF token, and show the value in place.
// A refused reason comes back as a 400 naming the error: the question is asked again with it.
// The words come on the button (data-prompt, data-refused, data-failed), in the page's language.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.reveal-personal-data");
  if (!button) return;
  event.preventDefault();
  const words = button.dataset;
  let question = words.prompt || "Why do you need the full value? (required; the reveal is logged)";
  let reason = "";
  for (;;) {
    reason = window.prompt(question, reason);
    if (reason === null) return;
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    const body = new FormData();
    body.append("csrfmiddlewaretoken", token ? token.value : "");
    body.append("reveal_reason", reason);
    button.disabled = true;
    const response = await fetch(button.dataset.revealUrl, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    button.disabled = false;
    if (response.status === 400) {
      const answer = await response.json().catch(() => ({}));
      const errors = (answer.errors && answer.errors.reveal_reason) || [];
      question = `${errors.join(" ")}\n\n${words.prompt || ""}`.trim();
      continue;
    }
    if (!response.ok) {
      button.disabled = true;
      button.textContent = response.status === 403 ? words.refused || "not allowed" : words.failed || "failed";
      return;
    }
    const answer = await response.json();
    const shown = button.parentElement.querySelector(".personal-data");
    shown.textContent = answer.value;
    shown.classList.add("revealed");
    button.remove();
    return;
  }
});
