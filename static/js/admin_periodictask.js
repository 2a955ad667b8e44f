// django-celery-beat's periodic-task form in the back office: the chosen crontab in words under the
// field (django-celery-beat's own inline script, here as a file for the Content-Security-Policy).
(function () {
  const $ = django.jQuery;
  const help = document.getElementById("periodic-task-overrides").dataset.crontabHelp;
  const readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    const words = readable[$("#id_crontab").val()];
    $(".field-crontab .help").text(help).append("<br>", document.createTextNode("Translation: " + (words || "")));
  });
})();
