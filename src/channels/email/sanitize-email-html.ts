// Makes the HTML body of an incoming message safe to show to an agent.
//
// Policy:
// - Only formatting and structure tags survive (sanitize-html's defaults plus <img>, <font>, <center>).
//   <script>, <style>, <iframe>, <object>, <embed>, <form>, <input>, <link>, <meta>, <base>, <svg>,
//   <math>, <video>, <audio> and everything else are removed; the contents of script/style-like
//   tags are dropped, not shown as text.
// - No `style` attribute and no <style> element: CSS can load remote resources (url(), @import)
//   and hide or overlay content. No `on*` event handler attributes, no `class`/`id`.
// - Links: http, https, mailto and tel only; protocol-relative URLs (`//host`) are refused.
//   Every link gets rel="noopener noreferrer nofollow" and target="_blank".
// - Images: plain <img src> only, with http, https, cid (inline parts of the same message, for the
//   viewer to map to the attachment) or data URLs. No srcset, no background attributes, no poster,
//   so an <img src> is the only way a message can make the viewer fetch anything remote; a viewer
//   that wants to block tracking pixels can do it by rewriting or hiding <img> alone.
import sanitizeHtml from 'sanitize-html';

const ALLOWED_TAGS = [...sanitizeHtml.defaults.allowedTags, 'img', 'font', 'center'];

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: {
    // rel and target are always overwritten by the transform below.
    a: ['href', 'name', 'title', 'rel', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    font: ['color', 'face', 'size'],
    td: ['colspan', 'rowspan', 'align', 'valign', 'width'],
    th: ['colspan', 'rowspan', 'align', 'valign', 'width', 'scope'],
    table: ['border', 'cellpadding', 'cellspacing', 'width'],
    col: ['span', 'width'],
    colgroup: ['span', 'width'],
    ol: ['start', 'type'],
    blockquote: ['cite'],
    p: ['align'],
    div: ['align'],
    '*': ['dir', 'lang', 'title'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https', 'cid', 'data'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'template', 'xmp', 'iframe', 'object', 'svg', 'math'],
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...attribs, rel: 'noopener noreferrer nofollow', target: '_blank' },
    }),
  },
};

export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
