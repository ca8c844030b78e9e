"""Who is who: users (table "user"), robeings and their API keys, and the
authentication and permissions of the API. Above core and jobs only."""
