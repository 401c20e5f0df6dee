#include "adapters/builtin.hpp"

#include "adapters/emis/emis.hpp"
#include "adapters/hl7v2/adapter.hpp"
#include "adapters/itk/itk3_adapter.hpp"
#include "adapters/itk/itk_adapter.hpp"
#include "gateway/ingest/fhir_message.hpp"

namespace gw::adapters {

void add_builtin(ingest::AdapterSet& set, const Clock& clock) {
  set.add(ingest::make_fhir_r4_message_adapter());
  set.add(ingest::make_fhir_r4_renderer());
  set.add(hl7v2::make_hl7v2_adapter());
  set.add(hl7v2::make_hl7v2_renderer());
  itk::ItkOptions itk_options;
  itk_options.clock = &clock;
  set.add(itk::make_itk_adapter(itk_options));
  itk::Itk3Options itk3_options;
  itk3_options.clock = &clock;
  set.add(itk::make_itk3_adapter(itk3_options));
  set.add(emis::make_gpconnect_adapter());
  set.add(emis::make_emis_xml_adapter());
  set.add(emis::make_send_document_renderer());
}

}  // namespace gw::adapters
