"""incidentd: a self-hosted AWS Systems Manager Incident Manager."""
