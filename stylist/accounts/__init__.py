"""Accounts and the app database: users, passwords, photo ownership, feedback, the schema.

The app database holds Chainlit's chat history tables (users, threads, steps, elements,
feedbacks) beside Stylist's own (password accounts, who owns which stored photo, the schema
version). SQLite in the data dir by default; PostgreSQL when `STYLIST_DATABASE_URL` says so.

This layer sits beside models / vectorstore: it knows settings, images and the atomic writers,
nothing above. The Chainlit data layer that reads these tables lives in `stylist.ui.history`.
"""
