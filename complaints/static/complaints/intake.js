// The intake form (complaints/intake_form.html): the "Resolve on first contact" part and its
// button only for a channel where staff speak with the customer. Without script both show,
// and the service refuses other channels, naming the channel.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const buttons = document.querySelector("[data-first-contact-channels]");
  const channel = document.querySelector("select[name=channel]");
  if (!buttons || !channel) {
    return;
  }
  const channels = buttons.dataset.firstContactChannels.split(" ");
  const parts = document.querySelectorAll(".intake-resolution, .intake-resolve, .intake-hint");
  const show = () => {
    const firstContact = channels.includes(channel.value);
    parts.forEach((part) => {
      part.hidden = !firstContact;
    });
  };
  channel.addEventListener("change", show);
  show();
});
