"""What several callers share: incident changes and engagements, in a unit of work they are given."""
