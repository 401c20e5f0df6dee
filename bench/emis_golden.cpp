// caregw-emis-golden: everything the EMIS adapter's two inbound codecs produce (resources,
// identity, warnings, errors, message ids, acknowledgements, the offline Bundle) for a set of
// inputs and deterministic mutations of each, as one line per case (name and a 64-bit digest of
// the whole output) or in full for one case. Run the binary from before and after a change and
// compare the listings (bench/README.md, "caregw-emis-bench").
//
//   caregw-emis-golden [--mutations N] [--case NAME] [--findings] FILE...
// --findings also checks, for every case, that the checked translations (adapters/emis/
// checked.hpp) give the findings of check_uk_core(parse_json(json)) on each resource, prints the
// count of cases that differ on stderr, and adds a digest of the findings to each line (with
// --case, the findings follow the output).
// A FILE ending in .xml is read as an EMIS XML extract, any other as a GP Connect record; the
// benchmark's two 200-entry records are always included (names "bench.xml", "bench.json").
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/emis/checked.hpp"
#include "adapters/emis/emis.hpp"
#include "bench/emis_inputs.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/validate.hpp"
#include "gateway/mapping/loader.hpp"
#include "gateway/store/mpi_types.hpp"

namespace {

/** Rng: splitmix64, so every run makes the same mutations. */
class Rng {
public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }

private:
  std::uint64_t s_;
};

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 14695981039346656037ULL;
  for (char ch : s) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ULL;
  }
  return h;
}

/** mutate: one to three edits (inserted fragments, deleted, duplicated or replaced bytes). */
std::string mutate(std::string s, bool xml, Rng& rng) {
  static const std::vector<std::string> kXml{"<",
                                             "&amp;",
                                             " ",
                                             "Past",
                                             "-",
                                             "9",
                                             "\xC3\xA9",
                                             "\xE9",
                                             "</Code>",
                                             "<Confidential>true</Confidential>",
                                             "READ2",
                                             "SNOMED",
                                             "<MapCode>1</MapCode>",
                                             "2026-02-30",
                                             "<Comment>c</Comment>",
                                             "<Problem><Status>Past</Status></Problem>",
                                             "<DisplayTerm>d</DisplayTerm>",
                                             "1.5e3",
                                             "<RefID>2</RefID>",
                                             "\"",
                                             "\\"};
  static const std::vector<std::string> kJson{"\"",
                                              "\\",
                                              "\\u00e9",
                                              "{",
                                              "}",
                                              "[",
                                              "]",
                                              ",",
                                              "1e400",
                                              "0.1",
                                              "null",
                                              "\"active\"",
                                              "\"x\"",
                                              "Patient",
                                              "Organization",
                                              "\"system\":\"http://snomed.info/sct\",",
                                              "\"reference\":\"#a\",",
                                              "\xC3\xA9",
                                              "\xE9"};
  const auto& inserts = xml ? kXml : kJson;
  const std::size_t edits = 1 + rng.below(3);
  for (std::size_t e = 0; e < edits && !s.empty(); ++e) {
    const std::size_t at = rng.below(s.size());
    switch (rng.below(4)) {
      case 0:
        s.insert(at, inserts[rng.below(inserts.size())]);
        break;
      case 1:
        s.erase(at, 1 + rng.below(8));
        break;
      case 2:
        s.insert(at, s.substr(at, 1 + rng.below(40)));
        break;
      default:
        s[at] = static_cast<char>(rng.below(256));
    }
  }
  return s;
}

void line(std::string& out, std::string_view a, std::string_view b = {}) {
  out.append(a).append(b).append("\n");
}

/** describe: the whole of one translation, as text. */
void describe(std::string& out, const gw::Result<gw::ingest::TranslatedMessage>& t) {
  if (!t) {
    line(out, "error ", std::to_string(static_cast<int>(t.error().code)) + " " + t.error().detail);
    return;
  }
  line(out, "kind ", t->kind);
  line(out, "event ", t->event);
  line(out, "message_id ", t->sender_message_id);
  line(out, "practice ", t->registered_practice ? t->registered_practice->str() : "-");
  if (t->patient) {
    const auto& p = *t->patient;
    line(out, "patient.source ", p.source.str());
    if (p.local_id) {
      line(out, "patient.local ",
           p.local_id->source.str() + " " +
               std::string(gw::store::local_id_type_code(p.local_id->type)) + " " +
               p.local_id->value);
    }
    line(out, "patient.nhs ",
         (p.match.nhs_number ? p.match.nhs_number->str() : std::string("-")) + " " +
             std::to_string(static_cast<int>(p.match.nhs_status)));
    for (const auto& g : p.match.given) {
      line(out, "patient.given ", g);
    }
    line(out, "patient.family ", p.match.family);
    for (const auto& f : p.match.previous_families) {
      line(out, "patient.previous ", f);
    }
    line(out, "patient.birth ", p.match.birth_date ? p.match.birth_date->str() : "-");
    line(out, "patient.gender ", p.match.gender);
    line(out, "patient.postcode ", p.match.postcode);
    for (const auto& l : p.address_lines) {
      line(out, "patient.line ", l);
    }
    for (const auto& c : p.telecom) {
      line(out, "patient.telecom ", c.system + " " + c.value + " " + c.use);
    }
    line(out, "patient.message ", p.message_id);
  }
  for (const auto& r : t->resources) {
    line(out, "resource ", r.resource_type + " " + r.id + (r.deleted ? " deleted " : " ") + r.json);
  }
  for (const auto& w : t->warnings) {
    line(out, "warning ", w);
  }
}

/** run: every output for one input. */
std::string run(const std::string& body, bool xml, const gw::mapping::Mapper& mapper) {
  static const auto kEmis = gw::adapters::emis::make_emis_xml_adapter();
  static const auto kGpc = gw::adapters::emis::make_gpconnect_adapter();
  const gw::ingest::InboundAdapter& a = xml ? *kEmis : *kGpc;
  std::string out;
  line(out, "message_id() ", a.message_id(body));
  for (const char* sender : {"Z90001", "A81001"}) {
    line(out, "== sender ", sender);
    auto t = a.translate(*gw::OdsCode::parse(sender), body, mapper);
    describe(out, t);
    gw::ingest::AckRequest ack;
    ack.ack_id = "ack-1";
    if (t) {
      ack.warnings = t->warnings;
    } else {
      ack.code = gw::ingest::AckRequest::Code::kRejected;
      ack.error = t.error();
    }
    line(out, "ack ", a.acknowledge(body, ack));
  }
  auto off = xml ? gw::adapters::emis::translate_emis_xml_offline(body, mapper)
                 : gw::adapters::emis::translate_gpconnect_offline(body, mapper);
  if (off) {
    line(out, "offline ", off->bundle_json);
    for (const auto& w : off->warnings) {
      line(out, "offline.warning ", w);
    }
  } else {
    line(out, "offline.error ", off.error().detail);
  }
  return out;
}

/** issue_text: the findings as one comparable string. */
std::string issue_text(const std::vector<gw::fhir::Issue>& issues) {
  std::string out;
  for (const auto& i : issues) {
    out.append(i.severity == gw::fhir::Issue::Severity::kError ? "E " : "W ")
        .append(i.code)
        .append(" ")
        .append(i.path)
        .append(" ")
        .append(i.message)
        .append("\n");
  }
  return out;
}

/** Findings: the checked translation's findings, and whether they differ from a re-parse's. */
struct Findings {
  std::string text;  // every resource's findings, in order ("" when the translation failed)
  bool differ = false;
};

/** checked_findings: the checked translation's findings, compared with check_uk_core of each
 *  resource's JSON parsed again (a resource whose JSON does not parse must carry an error). */
Findings checked_findings(const std::string& body, bool xml, const gw::mapping::Mapper& mapper) {
  const auto sender = *gw::OdsCode::parse("Z90001");
  auto c = xml ? gw::adapters::emis::translate_emis_xml_checked(sender, body, mapper)
               : gw::adapters::emis::translate_gpconnect_checked(sender, body, mapper);
  Findings out;
  if (!c) {
    return out;
  }
  if (c->issues.size() != c->message.resources.size()) {
    out.differ = true;
    return out;
  }
  for (std::size_t i = 0; i < c->issues.size(); ++i) {
    const std::string found = issue_text(c->issues[i]);
    out.text.append(std::to_string(i)).append(":").append(found);
    auto d = gw::fhir::parse_json(c->message.resources[i].json);
    if (!d) {
      out.differ = out.differ || !gw::fhir::has_errors(c->issues[i]);
      continue;
    }
    out.differ = out.differ || found != issue_text(gw::fhir::check_uk_core(*d));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int mutations = 0;
  bool findings = false;
  long differing = 0;
  long cases = 0;
  std::string only;
  std::vector<std::pair<std::string, std::string>> inputs{
      {"bench.xml", gw::bench::emis::extract()}, {"bench.json", gw::bench::emis::gpconnect()}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mutations" && i + 1 < argc) {
      mutations = std::atoi(argv[++i]);
    } else if (arg == "--findings") {
      findings = true;
    } else if (arg == "--case" && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::ifstream f(arg, std::ios::binary);
      if (!f) {
        std::fprintf(stderr, "caregw-emis-golden: cannot read %s\n", arg.c_str());
        return 2;
      }
      inputs.emplace_back(arg, std::string(std::istreambuf_iterator<char>(f), {}));
    }
  }
  auto loaded = gw::mapping::load_directory(std::string(CAREGW_SOURCE_DIR) + "/mappings");
  if (!loaded.set) {
    std::fprintf(stderr, "caregw-emis-golden: mappings/ did not load\n");
    return 1;
  }
  gw::mapping::UnmappedTracker tracker;
  const gw::mapping::Mapper mapper(loaded.set, &tracker);
  for (const auto& [name, body] : inputs) {
    const bool xml = name.size() > 4 && name.compare(name.size() - 4, 4, ".xml") == 0;
    Rng rng(fnv1a(name));
    for (int m = 0; m <= mutations; ++m) {
      const std::string input = m == 0 ? body : mutate(body, xml, rng);
      const std::string label = name + "#" + std::to_string(m);
      if (!only.empty() && label != only) {
        continue;
      }
      const std::string out = run(input, xml, mapper);
      Findings found;
      if (findings) {
        ++cases;
        found = checked_findings(input, xml, mapper);
        if (found.differ) {
          ++differing;
          std::fprintf(stderr, "caregw-emis-golden: findings differ for %s\n", label.c_str());
        }
      }
      if (!only.empty()) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        std::fwrite(found.text.data(), 1, found.text.size(), stdout);
        return 0;
      }
      if (findings) {
        std::printf("%s %016llx findings %016llx\n", label.c_str(),
                    static_cast<unsigned long long>(fnv1a(out)),
                    static_cast<unsigned long long>(fnv1a(found.text)));
      } else {
        std::printf("%s %016llx\n", label.c_str(), static_cast<unsigned long long>(fnv1a(out)));
      }
    }
  }
  if (findings) {
    std::fprintf(stderr, "caregw-emis-golden: findings checked for %ld cases, %ld differ\n", cases,
                 differing);
  }
  return differing == 0 ? 0 : 1;
}
