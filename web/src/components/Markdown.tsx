// Agent replies as Markdown: marked renders, DOMPurify removes anything executable.
import { marked } from "marked";
import DOMPurify from "dompurify";

export function Markdown({ text }: { text: string }) {
  const html = DOMPurify.sanitize(marked.parse(text, { async: false, gfm: true, breaks: false }) as string);
  return <div class="md" dangerouslySetInnerHTML={{ __html: html }} />;
}
