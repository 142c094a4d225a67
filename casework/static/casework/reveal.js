// The "reveal" buttons beside masked personal data (casework.masking): ask why (optional,
// logged), POST to the reveal view with the page's CSRF token, and show the value in place.
// The words come on the button (data-prompt, data-refused, data-failed), in the page's language.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.reveal-personal-data");
  if (!button) return;
  event.preventDefault();
  const words = button.dataset;
  const reason = window.prompt(words.prompt || "Why do you need the full value? (optional; the reveal is logged)", "");
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
  if (!response.ok) {
    button.textContent = response.status === 403 ? words.refused || "not allowed" : words.failed || "failed";
    return;
  }
  const answer = await response.json();
  const shown = button.parentElement.querySelector(".personal-data");
  shown.textContent = answer.value;
  shown.classList.add("revealed");
  button.remove();
});
