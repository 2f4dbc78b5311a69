from django.db import migrations


def fill_subjects(apps, schema_editor):
    from complaints.kind import subject

    Complaint = apps.get_model("complaints", "Complaint")
    batch = []
    for complaint in Complaint.objects.select_related("product").iterator(chunk_size=2000):
        complaint.subject = " ".join(subject(complaint).split())[:200]
        batch.append(complaint)
        if len(batch) == 2000:
            Complaint.objects.bulk_update(batch, ["subject"])
            batch = []
    if batch:
        Complaint.objects.bulk_update(batch, ["subject"])


class Migration(migrations.Migration):

    dependencies = [
        ("complaints", "0002_handlingplan_version"),
        ("aftersales", "0005_ticket_subject"),
    ]

    operations = [migrations.RunPython(fill_subjects, migrations.RunPython.noop)]
