"""Campaigns: Pinpoint's ``WriteCampaignRequest`` definitions, treatment and holdout assignment, schedules with
local and quiet time, dry-runs, previews and sends through the delivery ledger."""
