"""Callbacks from outside that act on pages: Twilio posts texts and key presses here (alerts have ingest/)."""
