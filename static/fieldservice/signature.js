/* Finger signature on a canvas: pointer events draw, the form carries a PNG data URL. */
(function () {
  "use strict";

  function setUp(pad) {
    var canvas = pad.querySelector("canvas");
    var input = document.getElementById(pad.getAttribute("data-target"));
    var clear = pad.querySelector(".signature-clear");
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var inked = false;
    var last = null;

    ctx.lineWidth = 4;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * (canvas.width / box.width),
        y: (event.clientY - box.top) * (canvas.height / box.height)
      };
    }

    function save() {
      if (input) {
        input.value = inked ? canvas.toDataURL("image/png") : "";
      }
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      drawing = true;
      last = point(event);
      if (canvas.setPointerCapture) {
        canvas.setPointerCapture(event.pointerId);
      }
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fill();
      inked = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) {
        return;
      }
      event.preventDefault();
      var next = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(next.x, next.y);
      ctx.stroke();
      last = next;
      inked = true;
    });
    function stop() {
      if (drawing) {
        drawing = false;
        save();
      }
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);

    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        inked = false;
        save();
      });
    }
    var form = pad.closest("form");
    if (form) {
      form.addEventListener("submit", save);
    }
  }

  document.querySelectorAll(".signature-pad").forEach(setUp);
})();
