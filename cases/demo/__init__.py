"""Demo and benchmark data for `manage.py seed_demo`.

people.py and stories.py hold the demo's cast and its hand-written disputes; documents.py
draws their vouchers (PNG) and bank statements (PDF); seed.py lays the stories out over
eight weeks through the real services; staff.py makes the demo logins; bulk.py is the
`--scale` loader for benchmark-sized databases.
"""
