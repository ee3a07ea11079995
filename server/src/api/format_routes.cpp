// The mounts besides Ogg Opus: /stream/{id}.mp3 and /stream/{id}.aac (live byte streams, with
// ICY metadata on request) and /hls/{id}/{file} (playlists and segments from the session's
// HLS store).
//
// Live mounts ignore Range: iOS's AVPlayer first asks `Range: bytes=0-1`; answered 206 it
// treats the stream as a file and asks again without `Icy-MetaData` (no titles), answered 200
// it plays the stream as a stream (Icecast and SHOUTcast answer 200 too). So a live mount
// answers 200 with `Accept-Ranges: none` and the stream. HLS segments are finite and
// immutable: they answer Range with 206.
#include "api/api_error.hpp"
#include "api/byte_range.hpp"
#include "api/routes.hpp"
#include "auralis/proto/header_text.hpp"
#include "sessions/session_id.hpp"
#include "streaming/chunk_listener.hpp"
#include "streaming/http_fanout.hpp"

namespace auralis::server {
namespace {

// One HLS file as the response a client or a cache gets.
Response hls_response(const Request& req, const HlsFile& file, int playlist_max_age_s) {
  const std::string cache_control = file.playlist
                                        ? "public, max-age=" + std::to_string(playlist_max_age_s)
                                        : std::string("public, max-age=31536000, immutable");
  auto common = [&](Response& res) {
    res.set(http::field::server, "auralis");
    res.set(http::field::cache_control, cache_control);
    res.set(http::field::etag, file.etag);
    res.set(http::field::access_control_allow_origin, "*");
    if (!file.playlist) res.set(http::field::accept_ranges, "bytes");
    res.keep_alive(req.keep_alive());
  };
  const auto if_none_match = req[http::field::if_none_match];
  if (!if_none_match.empty() &&
      (if_none_match == "*" || if_none_match.find(file.etag) != std::string_view::npos)) {
    Response res{http::status::not_modified, req.version()};
    common(res);
    return res;
  }
  Response res{http::status::ok, req.version()};
  common(res);
  res.set(http::field::content_type, file.content_type);
  const auto range =
      file.playlist ? ByteRange{} : read_byte_range(req[http::field::range], file.body->size());
  if (range.kind == ByteRange::Kind::unsatisfiable) {
    res.result(http::status::range_not_satisfiable);
    res.set(http::field::content_range, "bytes */" + std::to_string(file.body->size()));
  } else if (range.kind == ByteRange::Kind::part) {
    res.result(http::status::partial_content);
    res.set(http::field::content_range, "bytes " + std::to_string(range.first) + "-" +
                                            std::to_string(range.last) + "/" +
                                            std::to_string(file.body->size()));
    res.body() = file.body->substr(range.first, range.last - range.first + 1);
  } else {
    res.body() = *file.body;
  }
  res.prepare_payload();
  return res;
}

bool is_playlist_name(std::string_view name, bool opus) {
  return name == "index.m3u8" || name == "aac.m3u8" || (opus && name == "opus.m3u8");
}

}  // namespace

RouteResult Routes::mp3_stream(const RouteCall& call) const {
  return chunk_stream(call, ExtraFormat::mp3);
}

RouteResult Routes::aac_stream(const RouteCall& call) const {
  return chunk_stream(call, ExtraFormat::aac);
}

RouteResult Routes::chunk_stream(const RouteCall& call, ExtraFormat format) const {
  const auto& id = call.param;
  auto session = valid_session_id(id) ? sessions_.find(id) : nullptr;
  if (!session) return error_response(call.req, no_session(id));
  const bool mp3 = format == ExtraFormat::mp3;
  auto hub = mp3 ? session->formats().mp3_hub() : session->formats().aac_hub();
  if (!hub)
    return error_response(
        call.req, http::status::not_found, "not_found",
        std::string(mp3 ? "MP3 is off here (formats.mp3)" : "AAC is off here (formats.aac)"));
  const bool head_only = call.req.method() == http::verb::head;
  auto admitted = admit_listener(call, id);
  if (auto* refused = std::get_if<RouteResult>(&admitted)) return std::move(*refused);
  auto ticket = std::get<ListenerLimiter::TicketPtr>(std::move(admitted));
  const bool icy = call.req["Icy-MetaData"] == "1";
  const auto& settings = session->formats().settings();
  const int kbps = mp3 ? settings.mp3_codec.bitrate_kbps : settings.aac_codec.bitrate_kbps;
  // Close-delimited like the Ogg mount: no Content-Length, no chunking.
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Server: auralis\r\n"
      "Content-Type: " +
      std::string(mp3 ? "audio/mpeg" : "audio/aac") +
      "\r\n"
      "Cache-Control: no-cache, no-store\r\n"
      "Pragma: no-cache\r\n"
      "Accept-Ranges: none\r\n"
      "Access-Control-Allow-Origin: *\r\n"
      "Access-Control-Expose-Headers: icy-name, icy-description, icy-br, icy-metaint\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "icy-name: " +
      proto::header_value(config_.stream_name + " - " + session->name()) +
      "\r\n"
      "icy-description: " +
      proto::header_value(config_.stream_description) + "\r\nicy-br: " + std::to_string(kbps) +
      "\r\nicy-sr: 48000\r\n" +
      (icy ? "icy-metaint: " + std::to_string(config_.icy_metaint) + "\r\n" : std::string()) +
      "Connection: close\r\n\r\n";
  if (head_only) return StreamRoute{std::move(session), std::move(head), true, nullptr};
  const auto& fm = sessions_.format_metrics();
  ChunkStreamSetup setup{session, std::move(hub), std::move(head),
                         icy ? static_cast<std::size_t>(config_.icy_metaint) : 0,
                         mp3 ? fm->mp3_listeners : fm->aac_listeners};
  const auto limits = listener_limits();
  const auto metrics = metrics_;
  return TakeOverRoute{
      [setup, limits, metrics, ticket](boost::asio::ip::tcp::socket socket) {
        HttpFanout::join({setup.source, setup.hub, setup.format_listeners}, std::move(socket),
                         setup.response_head, limits, metrics, ticket, setup.icy_metaint);
      },
      [setup, limits, metrics, ticket](TlsStream stream) {
        std::make_shared<TlsChunkListener>(std::move(stream), setup, limits, metrics, ticket)
            ->start();
      }};
}

RouteResult Routes::hls_file(const RouteCall& call) const {
  const auto& id = call.param;
  auto session = valid_session_id(id) ? sessions_.find(id) : nullptr;
  if (!session) return error_response(call.req, no_session(id));
  auto store = session->formats().hls();
  if (!store)
    return error_response(call.req, http::status::not_found, "not_found",
                          "HLS is off here (hls.enabled)");
  const auto& file = call.file;
  const bool playlist = is_playlist_name(file, store->settings().opus);
  const auto& fm = sessions_.format_metrics();
  ++(playlist ? fm->hls_playlist_requests : fm->hls_segment_requests);
  store->touch();
  // Playlists may live in a cache for half a target duration: clients poll about that often.
  const int max_age = std::max(1, store->settings().segment_s / 2);
  if (auto found = store->find(file)) return hls_response(call.req, *found, max_age);
  if (!playlist)
    return error_response(call.req, http::status::not_found, "not_found",
                          "no segment '" + file + "' in session " + id +
                              "'s HLS window (segments leave it as the stream moves on)",
                          "file");
  // HLS is starting for this session: answer once the first segments exist (about a second:
  // the encoders catch up from the session's recent audio).
  auto request = std::make_shared<Request>(call.req);
  request->body().clear();
  return DeferredRoute{[store, request, file, max_age](std::function<void(Response)> send) {
    store->when_ready([store, request, file, max_age, send](bool ready) {
      auto found = ready ? store->find(file) : std::nullopt;
      if (found) return send(hls_response(*request, *found, max_age));
      send(error_response(*request, http::status::service_unavailable, "hls_unavailable",
                          "HLS did not start in time for this session; try again", "file"));
    });
  }};
}

}  // namespace auralis::server
