namespace auralis::server {}
