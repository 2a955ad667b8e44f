from django.urls import path

from complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.ticket_queue, name="index"),
    path("export/", views.ticket_export, name="ticket-export"),
    path("create/", views.ticket_create_view, name="ticket-create"),
    path("lookup/", views.retailer_lookup, name="retailer-lookup"),
    path("report/", views.report, name="report"),
    path("report/export/", views.report_export, name="report-export"),
    path("<int:pk>/", views.ticket_detail, name="ticket-detail"),
    path("<int:pk>/move/<slug:move>/", views.ticket_move_view, name="ticket-move"),
    path("<int:pk>/note/", views.ticket_note_view, name="ticket-note"),
    path("<int:pk>/assign/", views.ticket_assign_view, name="ticket-assign"),
    path("<int:pk>/attach/", views.ticket_attach_view, name="ticket-attach"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment-download"),
    path("retailers/<int:retailer_pk>/", views.retailer_tickets_panel, name="retailer-tickets"),
]
