// The query templates (GET /v1/templates, POST /v1/templates/{name}) and which of them a
// clerk's person lookup runs: every template over one source that needs only a national ID.

import { api } from "./common.js";

/** The templates the user may run, or null when this server offers none (404). */
export async function loadTemplates() {
  try {
    return await api("/v1/templates");
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

/** Runs template ``name`` with ``params`` for the case ``purpose``. */
export function runTemplate(name, params, purpose) {
  return api(`/v1/templates/${encodeURIComponent(name)}`, {
    method: "POST",
    body: { params, purpose },
  });
}

/** Column → mask kind for the masked fields (GET /v1/me/fields) of ``sources``. */
export function maskedColumns(fields, sources) {
  const masked = new Map();
  for (const field of fields) {
    if (field.mode === "mask" && sources.includes(field.table.split(".")[0])) {
      masked.set(field.column, field.mask);
    }
  }
  return masked;
}

/** The national-ID parameter of a one-source template that needs nothing else, or null. */
function personParameter(template) {
  if ((template.sources || []).length !== 1) return null;
  const ids = template.params.filter((p) => p.type === "national_id");
  const others = template.params.filter((p) => p.type !== "national_id");
  return ids.length === 1 && others.every((p) => !p.required) ? ids[0].name : null;
}

/**
 * The person lookups under ``purpose``, one per source template: [{source, template, param}].
 */
export function personLookups(templates, purpose) {
  return (templates || [])
    .map((template) => ({ template, param: personParameter(template) }))
    .filter(({ template, param }) => param && (template.purposes || []).includes(purpose))
    .map(({ template, param }) => ({ source: template.sources[0], template, param }));
}
