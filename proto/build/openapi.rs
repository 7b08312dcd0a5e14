//! The HTTP face, read from the proto's `google.api.http` rules: the binding table the REST
//! router is checked against, and an OpenAPI 3.1 document whose schemas follow the proto3 JSON
//! mapping (lowerCamelCase names, enums as names, 64-bit integers as strings, bytes as base64,
//! Timestamp as RFC 3339, defaults omitted). Nothing here is written per rpc: a new rule in the
//! proto appears in both outputs.
//!
//! Two conventions of the HTTP face that the rule syntax cannot say are applied by shape:
//! a binding whose path ends in `:upload` takes `multipart/form-data` (the request's one bytes
//! field becomes the part `file`, every other scalar a form field named by its proto path), and
//! a server-streaming rpc answers `text/event-stream`, one `job` event per message — unless its
//! messages are chunks of a file (`bytes data` and `string media_type`), then the body is the file.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor,
    Value,
};
use serde_json::{Map, Value as Json, json};

type Error = Box<dyn std::error::Error>;

/// One HTTP binding of an rpc.
pub struct Binding {
    pub rpc: String,
    pub method: &'static str,
    pub path: String,
    /// `"*"`, a field name, or empty (no body: the remaining fields are query parameters).
    pub body: String,
    pub input: MessageDescriptor,
    pub output: MessageDescriptor,
    pub streaming: bool,
    pub comment: String,
}

pub struct Api {
    pub title: String,
    pub description: String,
    pub bindings: Vec<Binding>,
    pool: DescriptorPool,
}

impl Api {
    pub fn read(pool: &DescriptorPool, service: &str) -> Result<Self, Error> {
        let svc = pool
            .get_service_by_name(service)
            .ok_or_else(|| format!("service {service} not in the descriptors"))?;
        let ext = pool
            .get_extension_by_name("google.api.http")
            .ok_or("google.api.http is not imported")?;
        let comments = Comments::of(pool);
        let mut bindings = Vec::new();
        for m in svc.methods() {
            let opts = m.options();
            if !opts.has_extension(&ext) {
                continue;
            }
            let rule = match opts.get_extension(&ext).into_owned() {
                Value::Message(msg) => msg,
                _ => return Err(format!("{}: google.api.http is not a message", m.name()).into()),
            };
            let comment = comments.get(m.parent_file().name(), m.path());
            push_rule(&mut bindings, &m, &rule, &comment)?;
            if let Some(Value::List(extra)) = rule
                .get_field_by_name("additional_bindings")
                .map(|v| v.into_owned())
            {
                for r in extra {
                    if let Value::Message(r) = r {
                        push_rule(&mut bindings, &m, &r, &comment)?;
                    }
                }
            }
        }
        Ok(Self {
            title: "fazhi API".into(),
            description: comments.get(svc.parent_file().name(), svc.path()),
            bindings,
            pool: pool.clone(),
        })
    }

    /// `HTTP_RULES`, a Rust table the gateway's router is tested against.
    pub fn rules_rs(&self) -> String {
        let mut s = String::from(
            "/// Every HTTP binding in the proto: (rpc, method, path template, body).\n\
             pub const HTTP_RULES: &[HttpRule] = &[\n",
        );
        for b in &self.bindings {
            s.push_str(&format!(
                "    HttpRule {{ rpc: {:?}, method: {:?}, path: {:?}, body: {:?} }},\n",
                b.rpc, b.method, b.path, b.body
            ));
        }
        s.push_str("];\n");
        s
    }

    pub fn openapi(&self) -> Result<String, Error> {
        let mut schemas = BTreeMap::new();
        let mut paths: BTreeMap<String, Map<String, Json>> = BTreeMap::new();
        let status = self
            .pool
            .get_message_by_name("google.rpc.Status")
            .ok_or("google.rpc.Status is not compiled")?;
        collect(&status, &mut schemas, &self.comments());
        for b in &self.bindings {
            collect(&b.input, &mut schemas, &self.comments());
            collect(&b.output, &mut schemas, &self.comments());
            let op = self.operation(b)?;
            paths
                .entry(b.path.clone())
                .or_default()
                .insert(b.method.to_ascii_lowercase(), op);
        }
        let doc = json!({
            "openapi": "3.1.0",
            "info": {
                "title": self.title,
                "version": "v1",
                "description": format!(
                    "{}\n\nThe HTTP face of the gRPC service fazhi.v1.ReportService, generated \
                     from its google.api.http rules. JSON is the proto3 JSON mapping. Errors are \
                     google.rpc.Status as JSON with the same reasons and details as gRPC.",
                    self.description
                ),
            },
            "security": [{"bearer": []}],
            "paths": paths,
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "An API key from the gateway's auth file (open gateways ignore it)."
                    }
                },
                "schemas": schemas,
                "responses": {
                    "Error": {
                        "description": "google.rpc.Status with ErrorInfo (reason), BadRequest or RetryInfo details. 429 and 503 carry Retry-After.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/google.rpc.Status"}}}
                    }
                }
            }
        });
        Ok(serde_json::to_string_pretty(&doc)?)
    }

    fn comments(&self) -> Comments {
        Comments::of(&self.pool)
    }

    fn operation(&self, b: &Binding) -> Result<Json, Error> {
        let path_params = path_params(&b.path);
        let mut params = Vec::new();
        for name in &path_params {
            let f = field_by_path(&b.input, name)
                .ok_or_else(|| format!("{}: path parameter {name} is not a field", b.rpc))?;
            params.push(json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": {"type": "string", "minLength": 1, "pattern": "^[^/:]+$"},
                "description": self.comments().field(&f),
                "example": "job_0123456789abcdef0123456789abcdef",
            }));
        }
        if b.body.is_empty() {
            for f in b.input.fields() {
                if path_params.contains(&f.name().to_string()) {
                    continue;
                }
                params.push(json!({
                    "name": f.name(),
                    "in": "query",
                    "required": false,
                    "schema": field_schema(&f),
                    "description": self.comments().field(&f),
                }));
            }
        }
        let mut op = Map::new();
        op.insert(
            "operationId".into(),
            json!(if b.path.ends_with(":upload") {
                format!("{}Upload", b.rpc)
            } else {
                b.rpc.clone()
            }),
        );
        op.insert(
            "summary".into(),
            json!(format!("fazhi.v1.ReportService/{}", b.rpc)),
        );
        op.insert("description".into(), json!(b.comment));
        if !params.is_empty() {
            op.insert("parameters".into(), json!(params));
        }
        if b.body == "*" {
            let content = if b.path.ends_with(":upload") {
                json!({"multipart/form-data": {"schema": multipart_schema(&b.input)}})
            } else {
                let mut media = json!({"schema": reference(&b.input)});
                if b.input.full_name() == "fazhi.v1.SubmitReportRequest" {
                    media["example"] = submit_example();
                }
                json!({"application/json": media})
            };
            op.insert(
                "requestBody".into(),
                json!({"required": true, "content": content}),
            );
        }
        let ok = if b.streaming && is_file(&b.output) {
            // Over HTTP the chunks are not events: the body is the file itself.
            json!({
                "description": "The file itself, with its media type as Content-Type and its name in Content-Disposition.",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}
            })
        } else if b.streaming {
            json!({
                "description": format!(
                    "Server-Sent Events: one `job` event per {} (data: its JSON), ending after the last.",
                    b.output.name()
                ),
                "content": {"text/event-stream": {"schema": {
                    "description": "One Server-Sent Event; `data` is the message as JSON (or, for `error`, a google.rpc.Status).",
                    "type": "object",
                    "properties": {
                        "event": {"type": "string", "enum": ["job", "error"]},
                        "id": {"type": "string"},
                        "data": {"type": "string", "contentMediaType": "application/json"},
                        "retry": {"type": "integer"}
                    },
                    "required": ["data"]
                }}}
            })
        } else {
            json!({
                "description": b.output.name(),
                "content": {"application/json": {"schema": reference(&b.output)}}
            })
        };
        op.insert(
            "responses".into(),
            json!({"200": ok, "default": {"$ref": "#/components/responses/Error"}}),
        );
        Ok(Json::Object(op))
    }
}

/// Messages that carry a file in chunks: `bytes data` beside `string media_type`.
fn is_file(m: &MessageDescriptor) -> bool {
    let has = |name: &str, kind: fn(&Kind) -> bool| {
        m.get_field_by_name(name).is_some_and(|f| kind(&f.kind()))
    };
    has("data", |k| matches!(k, Kind::Bytes)) && has("media_type", |k| matches!(k, Kind::String))
}

fn push_rule(
    out: &mut Vec<Binding>,
    m: &MethodDescriptor,
    rule: &DynamicMessage,
    comment: &str,
) -> Result<(), Error> {
    let text = |name: &str| -> String {
        match rule.get_field_by_name(name).map(|v| v.into_owned()) {
            Some(Value::String(s)) => s,
            _ => String::new(),
        }
    };
    let (method, path) = [
        ("GET", "get"),
        ("POST", "post"),
        ("PUT", "put"),
        ("DELETE", "delete"),
        ("PATCH", "patch"),
    ]
    .into_iter()
    .map(|(m, f)| (m, text(f)))
    .find(|(_, p)| !p.is_empty())
    .ok_or_else(|| format!("{}: http rule without a method", m.name()))?;
    if m.is_client_streaming() {
        return Err(format!("{}: client streaming has no HTTP binding", m.name()).into());
    }
    out.push(Binding {
        rpc: m.name().to_string(),
        method,
        path,
        body: text("body"),
        input: m.input(),
        output: m.output(),
        streaming: m.is_server_streaming(),
        comment: comment.to_string(),
    });
    Ok(())
}

fn path_params(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push(rest[start + 1..start + end].to_string());
        rest = &rest[start + end..];
    }
    out
}

fn field_by_path(msg: &MessageDescriptor, path: &str) -> Option<FieldDescriptor> {
    msg.get_field_by_name(path)
}

fn schema_name(m: &MessageDescriptor) -> String {
    m.full_name().to_string()
}

fn reference(m: &MessageDescriptor) -> Json {
    json!({"$ref": format!("#/components/schemas/{}", schema_name(m))})
}

/// Adds `m` and every message it reaches to `schemas`.
fn collect(m: &MessageDescriptor, schemas: &mut BTreeMap<String, Json>, comments: &Comments) {
    if well_known(m).is_some() || schemas.contains_key(&schema_name(m)) {
        return;
    }
    schemas.insert(schema_name(m), Json::Null);
    let mut props = Map::new();
    for f in m.fields() {
        let mut s = field_schema(&f);
        let doc = comments.field(&f);
        if !doc.is_empty()
            && let Json::Object(o) = &mut s
        {
            o.insert("description".into(), json!(doc));
        }
        props.insert(f.json_name().to_string(), s);
        for nested in reached(&f) {
            collect(&nested, schemas, comments);
        }
    }
    let mut schema = json!({"type": "object", "properties": props});
    if m.full_name() == "google.protobuf.Any" {
        schema = any_schema();
    }
    let doc = comments.get(m.parent_file().name(), m.path());
    if !doc.is_empty() {
        schema["description"] = json!(doc);
    }
    schemas.insert(schema_name(m), schema);
}

fn reached(f: &FieldDescriptor) -> Vec<MessageDescriptor> {
    match f.kind() {
        Kind::Message(m) if f.is_map() => m
            .map_entry_value_field()
            .kind()
            .as_message()
            .cloned()
            .into_iter()
            .collect(),
        Kind::Message(m) => vec![m],
        _ => vec![],
    }
}

fn any_schema() -> Json {
    json!({
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": true
    })
}

/// Schemas of the well-known types as proto3 JSON writes them.
fn well_known(m: &MessageDescriptor) -> Option<Json> {
    Some(match m.full_name() {
        "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
        "google.protobuf.Duration" => {
            json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$"})
        }
        "google.protobuf.Any" => any_schema(),
        _ => return None,
    })
}

fn field_schema(f: &FieldDescriptor) -> Json {
    if f.is_map() {
        let Kind::Message(entry) = f.kind() else {
            return json!({"type": "object"});
        };
        return json!({
            "type": "object",
            "additionalProperties": kind_schema(&entry.map_entry_value_field().kind()),
        });
    }
    let one = kind_schema(&f.kind());
    if f.is_list() {
        json!({"type": "array", "items": one})
    } else {
        one
    }
}

fn kind_schema(k: &Kind) -> Json {
    match k {
        Kind::Double | Kind::Float => json!({"type": "number"}),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            json!({"type": "integer", "format": "int32"})
        }
        Kind::Uint32 | Kind::Fixed32 => json!({"type": "integer", "format": "int32", "minimum": 0}),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
            json!({"type": ["string", "integer"], "format": "int64"})
        }
        Kind::Bool => json!({"type": "boolean"}),
        Kind::String => json!({"type": "string"}),
        Kind::Bytes => json!({"type": "string", "contentEncoding": "base64"}),
        Kind::Enum(e) => json!({
            "type": "string",
            "enum": e.values().map(|v| v.name().to_string()).collect::<Vec<_>>(),
        }),
        Kind::Message(m) => well_known(m).unwrap_or_else(|| reference(m)),
    }
}

/// The multipart form of a request: its bytes field is the part `file`; every other scalar
/// is a field named by its proto path; a string map is `NAME.KEY` fields.
fn multipart_schema(m: &MessageDescriptor) -> Json {
    let mut props = Map::new();
    let mut seen = BTreeSet::new();
    flatten(m, "", &mut props, &mut seen);
    json!({
        "type": "object",
        "properties": props,
        "required": ["file"],
        "patternProperties": {"^labels\\.[^.]+$": {"type": "string"}},
    })
}

fn flatten(
    m: &MessageDescriptor,
    prefix: &str,
    props: &mut Map<String, Json>,
    seen: &mut BTreeSet<String>,
) {
    if !seen.insert(m.full_name().to_string()) {
        return;
    }
    for f in m.fields() {
        let name = format!("{prefix}{}", f.name());
        match f.kind() {
            Kind::Bytes => {
                props.insert(
                    "file".into(),
                    json!({"type": "string", "contentMediaType": "application/octet-stream",
                           "description": format!("{name}: the document; its part Content-Type and filename fill document.media_type and document.filename")}),
                );
            }
            Kind::Message(_) if f.is_map() => {}
            Kind::Message(inner) if well_known(&inner).is_none() => {
                flatten(&inner, &format!("{name}."), props, seen);
            }
            k => {
                let mut s = kind_schema(&k);
                if matches!(k, Kind::Int32 | Kind::Sint32 | Kind::Sfixed32) {
                    s = json!({"type": "string", "pattern": "^-?[0-9]+$"});
                }
                props.insert(name, s);
            }
        }
    }
}

fn submit_example() -> Json {
    json!({
        "requestId": "wangchuan-2024",
        "document": {
            // "望川县2024年法治政府建设年度报告" as UTF-8, base64.
            "content": "5pyb5bed5Y6/MjAyNOW5tOazleayu+aUv+W6nOW7uuiuvuW5tOW6puaKpeWRig==",
            "mediaType": "text/plain",
            "filename": "report.txt"
        },
        "hints": {"year": 2024},
        "labels": {"province": "demo"}
    })
}

/// Leading comments of descriptors, by file and source path.
struct Comments(HashMap<(String, Vec<i32>), String>);

impl Comments {
    fn of(pool: &DescriptorPool) -> Self {
        let mut map = HashMap::new();
        for file in pool.files() {
            let proto = file.file_descriptor_proto();
            let Some(info) = &proto.source_code_info else {
                continue;
            };
            for loc in &info.location {
                let text = loc
                    .leading_comments
                    .as_deref()
                    .or(loc.trailing_comments.as_deref())
                    .unwrap_or("");
                let text = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                if !text.is_empty() {
                    map.insert((file.name().to_string(), loc.path.clone()), text);
                }
            }
        }
        Self(map)
    }

    fn get(&self, file: &str, path: &[i32]) -> String {
        self.0
            .get(&(file.to_string(), path.to_vec()))
            .cloned()
            .unwrap_or_default()
    }

    fn field(&self, f: &FieldDescriptor) -> String {
        self.get(f.parent_file().name(), f.path())
    }
}
