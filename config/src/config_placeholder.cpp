namespace auralis::config {}
