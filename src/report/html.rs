//! The capacity-planning review of a run, as one self-contained HTML page
//! (charts embedded as data URIs) and as Markdown (charts linked as the PNG
//! files beside it). Both come from the same list of [`Block`]s, so they say
//! the same thing.

use base64::Engine as _;
use std::fmt::Write as _;

/// A table: the header, the rows, and an HTML id for the page's own anchors
/// (and for tests that look the table up).
#[derive(Clone, Debug)]
pub struct Table {
    pub id: &'static str,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One piece of a report.
#[derive(Clone, Debug)]
pub enum Block<'a> {
    Title(String),
    Heading(String),
    Para(String),
    List(Vec<String>),
    Table(Table),
    /// A chart: its file name beside the report, a caption, the PNG bytes.
    Image {
        file: &'static str,
        caption: String,
        png: &'a [u8],
        size: (u32, u32),
    },
    /// Links to other files (text, relative path).
    Links(Vec<(String, String)>),
}

pub fn int(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1240px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.6em;margin-bottom:.3em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ddd;padding:.3em .7em;text-align:left;vertical-align:top}\
th{background:#f4f4f4}table.kv td:first-child{font-weight:600;white-space:nowrap}\
#headline{font-size:1.05em}#headline td:first-child{background:#f7f7f7}\
.met{color:#0a7a3a;font-weight:700}.missed{color:#b3261e;font-weight:700}\
figure{margin:1.2em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{color:#555;font-size:.92em}";

/// The page for `blocks`, one self-contained file.
pub fn render_html(blocks: &[Block<'_>]) -> String {
    let mut h = String::with_capacity(512 * 1024);
    let title = blocks
        .iter()
        .find_map(|b| match b {
            Block::Title(t) => Some(t.as_str()),
            _ => None,
        })
        .unwrap_or("meshsim report");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape(title)
    );
    for b in blocks {
        match b {
            Block::Title(t) => {
                let _ = writeln!(h, "<h1>{}</h1>", escape(t));
            }
            Block::Heading(t) => {
                let _ = writeln!(h, "<h2>{}</h2>", escape(t));
            }
            Block::Para(t) => {
                let _ = writeln!(h, "<p>{}</p>", escape(t));
            }
            Block::List(items) => {
                h.push_str("<ul>\n");
                for i in items {
                    let _ = writeln!(h, "<li>{}</li>", escape(i));
                }
                h.push_str("</ul>\n");
            }
            Block::Table(t) => {
                let is_kv = t.head.iter().all(|c| c.is_empty());
                let _ = writeln!(
                    h,
                    "<table id=\"{}\"{}>",
                    t.id,
                    if is_kv { " class=\"kv\"" } else { "" }
                );
                if !is_kv {
                    h.push_str("<thead><tr>");
                    for c in &t.head {
                        let _ = write!(h, "<th>{}</th>", escape(c));
                    }
                    h.push_str("</tr></thead>\n");
                }
                h.push_str("<tbody>\n");
                for r in &t.rows {
                    h.push_str("<tr>");
                    for c in r {
                        let class = if c.starts_with("MET:") {
                            " class=\"met\""
                        } else if c.starts_with("MISSED:") {
                            " class=\"missed\""
                        } else {
                            ""
                        };
                        let _ = write!(h, "<td{class}>{}</td>", escape(c));
                    }
                    h.push_str("</tr>\n");
                }
                h.push_str("</tbody></table>\n");
            }
            Block::Links(links) => {
                h.push_str("<ul>\n");
                for (text, href) in links {
                    let _ = writeln!(
                        h,
                        "<li><a href=\"{}\">{}</a></li>",
                        escape(href),
                        escape(text)
                    );
                }
                h.push_str("</ul>\n");
            }
            Block::Image {
                file,
                caption,
                png,
                size,
            } => {
                let _ = writeln!(
                    h,
                    "<figure><img src=\"data:image/png;base64,{}\" alt=\"{}\" width=\"{}\" height=\"{}\"><figcaption>{} ({})</figcaption></figure>",
                    base64::engine::general_purpose::STANDARD.encode(png),
                    escape(file),
                    size.0,
                    size.1,
                    escape(caption),
                    escape(file)
                );
            }
        }
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The same content as Markdown; charts link to the PNG files beside it.
pub fn render_md(blocks: &[Block<'_>]) -> String {
    let mut m = String::with_capacity(16 * 1024);
    for b in blocks {
        match b {
            Block::Title(t) => {
                let _ = writeln!(m, "# {t}\n");
            }
            Block::Heading(t) => {
                let _ = writeln!(m, "## {t}\n");
            }
            Block::Para(t) => {
                let _ = writeln!(m, "{t}\n");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(m, "- {i}");
                }
                m.push('\n');
            }
            Block::Table(t) => {
                let is_kv = t.head.iter().all(|c| c.is_empty());
                let head: Vec<String> = if is_kv {
                    vec!["".into(), "".into()]
                } else {
                    t.head.iter().map(|c| md_cell(c)).collect()
                };
                let _ = writeln!(m, "| {} |", head.join(" | "));
                let _ = writeln!(m, "|{}", "---|".repeat(head.len()));
                for r in &t.rows {
                    let cells: Vec<String> = r
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            if is_kv && i == 0 {
                                format!("**{}**", md_cell(c))
                            } else {
                                md_cell(c)
                            }
                        })
                        .collect();
                    let _ = writeln!(m, "| {} |", cells.join(" | "));
                }
                m.push('\n');
            }
            Block::Image { file, caption, .. } => {
                let _ = writeln!(m, "![{caption}]({file})\n\n*{caption}*\n");
            }
            Block::Links(links) => {
                for (text, href) in links {
                    let _ = writeln!(m, "- [{text}]({href})");
                }
                m.push('\n');
            }
        }
    }
    m
}
