"""The field-service roles and what each may do; granted from ``FieldServiceConfig.ready``."""

TECHNICIAN = "technician"
DISPATCHER = "dispatcher"

AGENT_PERMISSIONS = ["fieldservice.register_job", "fieldservice.triage_job",
                     "fieldservice.schedule_job", "fieldservice.file_record",
                     "fieldservice.close_job"]
DISPATCHER_PERMISSIONS = ["aftersales.view_all_tickets", "aftersales.add_note",
                          "fieldservice.schedule_job", "fieldservice.dispatch_job",
                          "fieldservice.view_board", "fieldservice.view_scorecard",
                          "fieldservice.file_record"]
TECHNICIAN_PERMISSIONS = ["aftersales.add_note", "fieldservice.work_job"]
SUPERVISOR_PERMISSIONS = sorted({*AGENT_PERMISSIONS, *DISPATCHER_PERMISSIONS})
ADMIN_PERMISSIONS = [*SUPERVISOR_PERMISSIONS,
                     *(f"fieldservice.{action}_{model}" for model in ("technician", "part")
                       for action in ("add", "change", "view", "delete"))]
