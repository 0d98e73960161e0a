"""The data owner's side: read → check → normalise → encode; reconcile → worklist;
disclose/apply. Never imported by the coordinator's code (``padan.link``)."""
