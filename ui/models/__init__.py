"""Qt table models over the local cache's repositories (views never query the database)."""
