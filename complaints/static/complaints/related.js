// The intake form's related complaints (complaints/related_intake.html): whenever the
// phone, account number, e-mail address, transaction reference or category change, ask
// related/ and list the customer's open and recent complaints on the matter, each linked
// to its page, likely duplicates marked. Without script the panel stays hidden; the
// complaint's page shows the same afterwards.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.querySelector(".intake-related[data-related-url]");
  if (!panel) {
    return;
  }
  const names = ["customer_phone", "account_number", "customer_email", "transaction_reference", "category"];
  const fields = names.map((name) => document.querySelector(`[name=${name}]`)).filter(Boolean);
  const list = panel.querySelector(".intake-related__cases");
  const repeat = panel.querySelector(".intake-related__repeat");
  let asked = "";
  let timer = null;
  const tag = (text) => {
    const span = document.createElement("span");
    span.className = "related-tag";
    span.textContent = text;
    return span;
  };
  const show = (answer) => {
    list.replaceChildren();
    repeat.hidden = !answer.repeat;
    repeat.textContent = answer.repeat || "";
    panel.hidden = !answer.customer_known;
    if (!answer.cases.length) {
      const none = document.createElement("li");
      none.textContent = panel.dataset.none;
      list.append(none);
    }
    answer.cases.forEach((other) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = other.url;
      link.target = "_blank";
      link.textContent = other.reference;
      const state = document.createElement("span");
      state.className = "related-state";
      state.textContent = ` ${other.state} · ${other.category} · ${other.created} — `;
      const summary = document.createElement("span");
      summary.className = "related-summary";
      summary.textContent = other.summary;
      summary.title = other.summary;
      item.append(link, state, summary);
      if (other.is_duplicate) {
        item.append(tag(panel.dataset.duplicate));
      }
      if (other.same_transaction) {
        item.append(tag(panel.dataset.sameTransaction));
      }
      list.append(item);
    });
  };
  const ask = () => {
    const query = new URLSearchParams();
    fields.forEach((field) => query.set(field.name, field.value.trim()));
    const text = query.toString();
    if (text === asked) {
      return;
    }
    asked = text;
    fetch(`${panel.dataset.relatedUrl}?${text}`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((answer) => {
        if (answer && text === asked) {
          show(answer);
        }
      })
      .catch(() => {});
  };
  fields.forEach((field) => {
    field.addEventListener("change", ask);
    field.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(ask, 400);
    });
  });
  ask(); // a form shown again after a refusal keeps what was typed
});
