"""Chat channels and notification targets: SNS topics fanned out to Slack, Teams, Mattermost, HTTPS and e-mail."""
