// Replaced by the session render pipeline.
namespace auralis::devices {}
