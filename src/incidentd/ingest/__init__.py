"""Alert webhooks (Alertmanager, Grafana, SNS/CloudWatch, generic JSON) that open incidents through StartIncident."""
