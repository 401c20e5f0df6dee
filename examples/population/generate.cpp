// caregw-population: writes a synthetic population and labelled messages as JSON lines, for
// measuring demographic matching at scale (gateway/identity/MATCHING.md). Synthetic people
// only: invented names and postcodes, NHS numbers from the 999 test range.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "gateway/identity/match_population.hpp"

namespace {

namespace id = gw::identity;
namespace syn = gw::identity::synthetic;

void json_string(std::ostream& out, std::string_view s) {
  out << '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        out << "\\\"";
        break;
      case '\\':
        out << "\\\\";
        break;
      case '\n':
        out << "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out << buf;
        } else {
          out << c;
        }
    }
  }
  out << '"';
}

void json_strings(std::ostream& out, const std::vector<std::string>& v) {
  out << '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) {
      out << ',';
    }
    json_string(out, v[i]);
  }
  out << ']';
}

/** demographics: the fields of one record, without the braces. */
void demographics(std::ostream& out, const id::Demographics& d) {
  out << "\"nhs_number\":";
  if (d.nhs_number) {
    json_string(out, d.nhs_number->str());
    out << ",\"nhs_status\":";
    json_string(out, gw::verification_code(d.nhs_status));
  } else {
    out << "null";
  }
  out << ",\"given\":";
  json_strings(out, d.given);
  out << ",\"family\":";
  json_string(out, d.family);
  out << ",\"previous_families\":";
  json_strings(out, d.previous_families);
  out << ",\"birth_date\":";
  if (d.birth_date) {
    json_string(out, d.birth_date->str());
  } else {
    out << "null";
  }
  if (d.birth_year_tolerance > 0) {
    out << ",\"birth_year_tolerance\":" << d.birth_year_tolerance;
  }
  out << ",\"gender\":";
  json_string(out, d.gender);
  out << ",\"postcode\":";
  json_string(out, d.postcode);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Writes a synthetic population (people.jsonl) and labelled messages with typical errors "
      "(messages.jsonl) for measuring demographic matching. Deterministic from --seed."};
  std::size_t people_count = 10000;
  std::size_t message_count = 1000;
  std::uint64_t seed = 1;
  std::string out_dir = ".";
  app.add_option("--people", people_count, "number of people")->capture_default_str();
  app.add_option("--messages", message_count, "number of labelled messages")->capture_default_str();
  app.add_option("--seed", seed, "random seed")->capture_default_str();
  app.add_option("--out", out_dir, "output directory")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (people_count == 0) {
    std::cerr << "--people must be at least 1\n";
    return 2;
  }

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  const std::filesystem::path dir(out_dir);
  std::ofstream people_out(dir / "people.jsonl");
  std::ofstream messages_out(dir / "messages.jsonl");
  if (!people_out || !messages_out) {
    std::cerr << "cannot write to " << out_dir << "\n";
    return 1;
  }

  const auto people = syn::generate_people(people_count, seed);
  std::size_t without_nhs = 0;
  for (const auto& p : people) {
    without_nhs += p.demographics.nhs_number ? 0 : 1;
    people_out << "{\"id\":" << p.id << ",\"household\":" << p.household << ',';
    demographics(people_out, p.demographics);
    people_out << "}\n";
  }
  const auto messages = syn::generate_messages(people, message_count, seed);
  for (const auto& m : messages) {
    messages_out << "{\"id\":" << m.id << ",\"truth\":";
    if (m.truth) {
      messages_out << *m.truth;
    } else {
      messages_out << "null";
    }
    messages_out << ",\"errors\":[";
    json_string(messages_out, syn::message_kind_name(m.kind));
    if (m.second) {
      messages_out << ',';
      json_string(messages_out, syn::message_kind_name(*m.second));
    }
    messages_out << "],\"source\":";
    json_string(messages_out, m.source);
    messages_out << ',';
    demographics(messages_out, m.demographics);
    messages_out << "}\n";
  }
  people_out.close();
  messages_out.close();
  if (!people_out || !messages_out) {
    std::cerr << "writing to " << out_dir << " failed\n";
    return 1;
  }
  std::cout << "people=" << people.size() << " without_nhs_number=" << without_nhs
            << " messages=" << messages.size() << " seed=" << seed << " out=" << out_dir << "\n";
  return 0;
}
