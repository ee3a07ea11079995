#include "auralis/music/score_figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

namespace auralis::music {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::clamp(p, 0.0, 1.0) * (v.size() - 1) + 0.5);
  return v[i];
}

constexpr int kSlotsPerBeat = 2;
constexpr int kCellSlots = 16;

int slot_of(const Note& n) {
  return static_cast<int>(std::lround(n.onset_beats * kSlotsPerBeat));
}

}  // namespace

std::vector<LeadCell> lead_cells(const Phrase& phrase) {
  const int per_phrase = phrase.bars * phrase.beats_per_bar * kSlotsPerBeat;
  std::vector<LeadCell> cells(static_cast<std::size_t>(std::max(1, per_phrase / kCellSlots)));
  std::vector<std::vector<int>> pitches(cells.size());
  for (const auto& n : phrase.notes) {
    if (n.layer != Layer::lead) continue;
    const int slot = slot_of(n);
    const auto c = static_cast<std::size_t>(
        std::clamp(slot / kCellSlots, 0, static_cast<int>(cells.size()) - 1));
    cells[c].slots.push_back(slot - static_cast<int>(c) * kCellSlots);
    pitches[c].push_back(n.midi);
  }
  for (std::size_t c = 0; c < cells.size(); ++c) {
    for (std::size_t i = 1; i < pitches[c].size(); ++i)
      cells[c].steps.push_back(pitches[c][i] - pitches[c][i - 1]);
  }
  return cells;
}

bool similar_cells(const LeadCell& a, const LeadCell& b) {
  if (a.slots.size() < 3 || b.slots.size() < 3) return false;
  const std::set<int> sa(a.slots.begin(), a.slots.end()), sb(b.slots.begin(), b.slots.end());
  std::size_t common = 0;
  for (int s : sa) common += sb.count(s);
  const double jaccard =
      static_cast<double>(common) / static_cast<double>(sa.size() + sb.size() - common);
  if (jaccard < 0.75) return false;
  const std::size_t n = std::min(a.steps.size(), b.steps.size());
  const std::size_t longest = std::max(a.steps.size(), b.steps.size());
  const auto sign = [](int x) { return (x > 0) - (x < 0); };
  std::size_t close = 0;
  for (std::size_t i = 0; i < n; ++i)
    close += sign(a.steps[i]) == sign(b.steps[i]) && std::abs(a.steps[i] - b.steps[i]) <= 2;
  return static_cast<double>(close) >= 0.75 * static_cast<double>(longest);
}

ScoreFigures score_figures(const std::vector<Phrase>& phrases) {
  ScoreFigures f;
  std::vector<double> lead, pad, timing, velocity;
  std::set<Instrument> instruments;
  std::set<Mode> modes;
  std::size_t on_beat = 0;
  f.tempo_min_bpm = 1e9;
  f.tempo_max_bpm = 0;
  double seconds = 0;
  for (const auto& p : phrases) {
    seconds += p.duration_s;
    modes.insert(p.mode);
    f.tempo_min_bpm = std::min(f.tempo_min_bpm, p.tempo_bpm);
    f.tempo_max_bpm = std::max(f.tempo_max_bpm, p.tempo_bpm);
    const double spb = 60.0 / p.tempo_bpm;
    for (const auto& n : p.notes) {
      if (n.layer == Layer::pad) pad.push_back(n.midi);
      if (n.layer != Layer::lead) continue;
      lead.push_back(n.midi);
      timing.push_back(n.onset_s - n.onset_beats * spb);
      velocity.push_back(n.velocity);
      instruments.insert(n.instrument);
      on_beat += slot_of(n) % kSlotsPerBeat == 0;
    }
  }
  f.minutes = seconds / 60.0;
  f.lead_notes = lead.size();
  f.lead_median_midi = median(lead);
  f.pad_median_midi = median(pad);
  f.lead_above_pad_st = f.lead_median_midi - f.pad_median_midi;
  if (!timing.empty()) {
    double mean = 0, var = 0;
    for (double t : timing) mean += t;
    mean /= static_cast<double>(timing.size());
    for (double t : timing) var += (t - mean) * (t - mean);
    f.lead_timing_sd_ms = 1000.0 * std::sqrt(var / static_cast<double>(timing.size()));
    f.lead_on_beat_share = static_cast<double>(on_beat) / static_cast<double>(timing.size());
  }
  f.lead_velocity_span = percentile(velocity, 0.95) - percentile(velocity, 0.05);
  f.lead_instruments = static_cast<int>(instruments.size());
  f.modes = static_cast<int>(modes.size());

  // Cells heard again more than 4 phrases after a similar one; whole-phrase repeats.
  std::vector<std::vector<LeadCell>> cells;
  std::vector<std::vector<std::pair<int, int>>> leads;
  std::size_t counted = 0, recalled = 0, phrases_with_lead = 0, repeats = 0;
  for (std::size_t i = 0; i < phrases.size(); ++i) {
    cells.push_back(lead_cells(phrases[i]));
    std::vector<std::pair<int, int>> line;
    for (const auto& n : phrases[i].notes)
      if (n.layer == Layer::lead) line.emplace_back(slot_of(n), n.midi);
    if (!line.empty()) {
      ++phrases_with_lead;
      repeats += std::find(leads.begin(), leads.end(), line) != leads.end();
    }
    leads.push_back(std::move(line));
    for (const auto& cell : cells.back()) {
      if (cell.slots.size() < 3) continue;
      ++counted;
      bool found = false;
      for (std::size_t j = 0; j + 4 < i && !found; ++j) {
        for (const auto& old : cells[j]) {
          if (similar_cells(cell, old)) {
            found = true;
            break;
          }
        }
      }
      recalled += found;
    }
  }
  f.cells_recalled_share =
      counted ? static_cast<double>(recalled) / static_cast<double>(counted) : 0;
  f.exact_repeat_share =
      phrases_with_lead ? static_cast<double>(repeats) / static_cast<double>(phrases_with_lead) : 0;

  // Sections: lengths of those heard whole (the last may be cut by the span's end).
  std::vector<double> section_minutes;
  double current = 0;
  for (std::size_t i = 0; i < phrases.size(); ++i) {
    current += phrases[i].duration_s / 60.0;
    const bool last = phrases[i].section_phrase + 1 == phrases[i].section_phrases;
    if (last) {
      section_minutes.push_back(current);
      current = 0;
    }
  }
  f.sections = static_cast<int>(section_minutes.size() + (current > 0 ? 1 : 0));
  if (!section_minutes.empty()) {
    f.section_minutes_min = *std::min_element(section_minutes.begin(), section_minutes.end());
    f.section_minutes_max = *std::max_element(section_minutes.begin(), section_minutes.end());
  }
  if (phrases.empty()) f.tempo_min_bpm = 0;
  return f;
}

}  // namespace auralis::music
