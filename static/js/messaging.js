// Messaging pages: record a voice message in the browser, and send once.
// No inline script anywhere (strict CSP); everything hangs off data- attributes.
(function () {
  "use strict";

  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers") || "{}";
    try {
      return JSON.parse(headers)["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function pickType() {
    var types = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/ogg"];
    for (var i = 0; i < types.length; i++) {
      if (window.MediaRecorder && MediaRecorder.isTypeSupported(types[i])) {
        return types[i];
      }
    }
    return "";
  }

  function refreshCompose(html) {
    var compose = document.getElementById("compose");
    if (!compose) {
      window.location.reload();
      return;
    }
    compose.outerHTML = html;
    if (window.htmx) {
      window.htmx.process(document.getElementById("compose"));
    }
  }

  function upload(box, blob) {
    var status = box.querySelector("[data-record-status]");
    var form = new FormData();
    form.append("language", box.getAttribute("data-language"));
    form.append("audio", blob, "recording.webm");
    status.textContent = "Saving…";
    fetch(box.getAttribute("data-upload-url"), {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
    }).then(function (response) {
      return response.text().then(function (html) {
        refreshCompose(html);
      });
    }).catch(function () {
      status.textContent = "The recording could not be saved. Try again or upload a file.";
    });
  }

  function start(box) {
    var status = box.querySelector("[data-record-status]");
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      status.textContent = "This browser cannot record. Upload a file instead.";
      return;
    }
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var type = pickType();
      var recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      var chunks = [];
      recorder.addEventListener("dataavailable", function (event) {
        if (event.data && event.data.size) {
          chunks.push(event.data);
        }
      });
      recorder.addEventListener("stop", function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        upload(box, new Blob(chunks, { type: recorder.mimeType || "audio/webm" }));
      });
      box.recorder = recorder;
      recorder.start();
      box.querySelector("[data-record-start]").disabled = true;
      box.querySelector("[data-record-stop]").disabled = false;
      status.textContent = "Recording… press Stop when you have finished.";
    }).catch(function () {
      status.textContent = "The microphone is not available. Upload a file instead.";
    });
  }

  function stop(box) {
    if (box.recorder && box.recorder.state !== "inactive") {
      box.recorder.stop();
    }
    box.querySelector("[data-record-stop]").disabled = true;
    box.querySelector("[data-record-start]").disabled = false;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-record-start], [data-record-stop]");
    if (!button) {
      return;
    }
    var box = button.closest("[data-recorder]");
    if (button.hasAttribute("data-record-start")) {
      start(box);
    } else {
      stop(box);
    }
  });

  // A double-click on Send posts once; the server is idempotent anyway.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-send-once")) {
      return;
    }
    if (form.getAttribute("data-sent") === "1") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
  });
})();
