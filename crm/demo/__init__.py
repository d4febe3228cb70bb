"""Demo and bulk-history data for 'flask crm seed-demo' / 'seed-history'; never imported by a request."""
