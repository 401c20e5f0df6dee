// Conformance cases: case.yaml names the formats and the expectation; JSON outputs compare
// semantically (key order and number spelling do not matter) with the first difference shown.
#include "conformance/runner.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "gateway/fhir/json.hpp"
#include "gateway/fhir/validate.hpp"
#include "gateway/translate/translate.hpp"

namespace gw::conformance {
namespace {

namespace fs = std::filesystem;
using rapidjson::Value;

bool read_file(const fs::path& p, std::string& out) {
  std::ifstream f(p, std::ios::binary);
  if (!f) {
    return false;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

std::string short_json(const Value& v) {
  std::string s = fhir::to_json(v);
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

/** first_difference: where two JSON values first differ, as "at PATH: expected X, got Y". */
std::string first_difference(const Value& want, const Value& got, const std::string& path) {
  if (fhir::json_equal(want, got)) {
    return {};
  }
  if (want.IsObject() && got.IsObject()) {
    for (auto m = want.MemberBegin(); m != want.MemberEnd(); ++m) {
      const std::string key(m->name.GetString(), m->name.GetStringLength());
      auto g = got.FindMember(m->name);
      if (g == got.MemberEnd()) {
        return "at " + path + "." + key + ": expected " + short_json(m->value) + ", got nothing";
      }
      if (auto d = first_difference(m->value, g->value, path + "." + key); !d.empty()) {
        return d;
      }
    }
    for (auto m = got.MemberBegin(); m != got.MemberEnd(); ++m) {
      if (!want.HasMember(m->name)) {
        return "at " + path + "." + std::string(m->name.GetString()) + ": unexpected " +
               short_json(m->value);
      }
    }
  }
  if (want.IsArray() && got.IsArray()) {
    for (rapidjson::SizeType i = 0; i < std::min(want.Size(), got.Size()); ++i) {
      if (auto d = first_difference(want[i], got[i], path + "[" + std::to_string(i) + "]");
          !d.empty()) {
        return d;
      }
    }
    return "at " + path + ": expected " + std::to_string(want.Size()) + " items, got " +
           std::to_string(got.Size());
  }
  return "at " + path + ": expected " + short_json(want) + ", got " + short_json(got);
}

bool is_json_kind(translate::Kind k) {
  return k != translate::Kind::kFhirR4Xml && k != translate::Kind::kFhirStu3Xml &&
         k != translate::Kind::kHl7v2 && k != translate::Kind::kItk &&
         k != translate::Kind::kEmisXml;
}

/** as_r4_json: the R4 JSON of an output in fhir-r4 or fhir-r4-xml, for checks and comparison. */
Result<fhir::Json> as_json(translate::Kind kind, const std::string& text) {
  if (kind == translate::Kind::kFhirR4Xml || kind == translate::Kind::kFhirStu3Xml) {
    const auto json_kind =
        kind == translate::Kind::kFhirR4Xml ? translate::Kind::kFhirR4 : translate::Kind::kFhirStu3;
    auto t = translate::translate(kind, json_kind, text);
    if (!t) {
      return t.error();
    }
    return fhir::parse_json(t->output);
  }
  return fhir::parse_json(text);
}

fs::path find_with_prefix(const fs::path& dir, const std::string& prefix) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename().string().rfind(prefix, 0) == 0) {
      return e.path();
    }
  }
  return {};
}

CaseResult run_one(const fs::path& dir, const std::string& name, const RunOptions& opts) {
  CaseResult r{name, false, {}};
  YAML::Node spec;
  try {
    spec = YAML::LoadFile((dir / "case.yaml").string());
  } catch (const YAML::Exception& e) {
    r.detail = "case.yaml:" + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return r;
  }
  const auto text = [&](const char* key) {
    return spec[key] && spec[key].IsScalar() ? spec[key].Scalar() : std::string{};
  };
  for (const char* key : {"description", "source", "from", "to"}) {
    if (text(key).empty()) {
      r.detail = std::string("case.yaml: '") + key + "' is required";
      return r;
    }
  }
  auto from = translate::parse_kind(text("from"));
  auto to = translate::parse_kind(text("to"));
  if (!from || !to) {
    r.detail = "case.yaml: unknown format in from/to (known: " + translate::kind_names() + ")";
    return r;
  }
  fs::path input = text("input").empty() ? find_with_prefix(dir, "input.") : dir / text("input");
  std::string input_text;
  if (input.empty() || !read_file(input, input_text)) {
    r.detail = "no readable input file (input.* or case.yaml 'input')";
    return r;
  }
  auto t = translate::translate(*from, *to, input_text);
  const std::string expect_error = text("expect_error");
  if (!expect_error.empty()) {
    if (t) {
      r.detail =
          "expected an error containing '" + expect_error + "', but the translation succeeded";
    } else if (t.error().detail.find(expect_error) == std::string::npos) {
      r.detail = "expected an error containing '" + expect_error + "', got: " + t.error().detail;
    } else {
      r.passed = true;
    }
    return r;
  }
  if (!t) {
    r.detail = "translation failed: " + t.error().detail;
    return r;
  }
  // Warnings the case expects (e.g. what STU3 -> R4 could not carry over).
  if (spec["expect_warnings"] && spec["expect_warnings"].IsSequence()) {
    for (const auto& w : spec["expect_warnings"]) {
      const auto want = w.Scalar();
      if (std::none_of(t->warnings.begin(), t->warnings.end(), [&](const std::string& got) {
            return got.find(want) != std::string::npos;
          })) {
        r.detail = "expected a warning containing '" + want + "'";
        return r;
      }
    }
  }
  if (text("check") == "uk-core") {
    auto json = as_json(*to, t->output);
    if (!json) {
      r.detail = "output does not parse: " + json.error().detail;
      return r;
    }
    // expect_issues lists "PATH: text" findings the check must report; any other error fails.
    std::vector<std::string> wanted;
    if (spec["expect_issues"] && spec["expect_issues"].IsSequence()) {
      for (const auto& w : spec["expect_issues"]) {
        wanted.push_back(w.Scalar());
      }
    }
    const auto issues = fhir::check_uk_core(*json);
    std::vector<bool> seen(wanted.size(), false);
    for (const auto& i : issues) {
      const std::string line = i.path + ": " + i.message;
      bool expected_issue = false;
      for (std::size_t k = 0; k < wanted.size(); ++k) {
        if (line.find(wanted[k]) != std::string::npos) {
          seen[k] = true;
          expected_issue = true;
        }
      }
      if (!expected_issue && i.severity == fhir::Issue::Severity::kError) {
        r.detail = "UK Core check: " + line;
        return r;
      }
    }
    for (std::size_t k = 0; k < wanted.size(); ++k) {
      if (!seen[k]) {
        r.detail = "the UK Core check did not report '" + wanted[k] + "'";
        return r;
      }
    }
  }
  fs::path expected =
      text("expect").empty() ? find_with_prefix(dir, "expected.") : dir / text("expect");
  if (opts.update_golden) {
    if (expected.empty()) {
      expected = dir / (is_json_kind(*to) ? "expected.json" : "expected.xml");
    }
    std::string out = t->output;
    if (is_json_kind(*to)) {
      if (auto j = fhir::parse_json(out)) {
        out = fhir::to_json(*j, true) + "\n";
      }
    }
    std::ofstream(expected, std::ios::binary | std::ios::trunc) << out;
    r.passed = true;
    r.detail = "expected output rewritten";
    return r;
  }
  std::string expected_text;
  if (expected.empty() || !read_file(expected, expected_text)) {
    r.detail = "no expected.* file (run with GW_UPDATE_GOLDEN=1 to write one, then review it)";
    return r;
  }
  const bool structured = is_json_kind(*to) || *to == translate::Kind::kFhirR4Xml ||
                          *to == translate::Kind::kFhirStu3Xml;
  if (structured) {
    auto want = as_json(*to, expected_text);
    auto got = as_json(*to, t->output);
    if (!want) {
      r.detail = "expected file does not parse: " + want.error().detail;
      return r;
    }
    if (!got) {
      r.detail = "output does not parse: " + got.error().detail;
      return r;
    }
    const auto diff = first_difference(*want, *got, "$");
    if (!diff.empty()) {
      r.detail = diff;
      return r;
    }
  } else if (expected_text != t->output) {
    r.detail = "output differs from " + expected.filename().string();
    return r;
  }
  r.passed = true;
  return r;
}

}  // namespace

std::vector<CaseResult> run_cases(const std::string& dir, const RunOptions& opts) {
  std::vector<CaseResult> results;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    results.push_back({dir, false, "not a directory of conformance cases"});
    return results;
  }
  std::vector<fs::path> cases;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().filename() == "case.yaml") {
      cases.push_back(it->path().parent_path());
    }
  }
  std::sort(cases.begin(), cases.end());
  for (const auto& c : cases) {
    const std::string name = fs::relative(c, dir).string();
    if (!opts.filter.empty() && name.find(opts.filter) == std::string::npos) {
      continue;
    }
    results.push_back(run_one(c, name, opts));
  }
  return results;
}

}  // namespace gw::conformance
