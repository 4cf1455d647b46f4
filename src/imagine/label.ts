/**
 * The AI label every delivered image carries inside the file: IPTC
 * DigitalSourceType "trainedAlgorithmicMedia" in XMP (what Meta writes on
 * Imagine outputs, and what platforms read to show "AI info"), with the model,
 * seed and settings that reproduce it. The prompt can be left out (privacy);
 * the label cannot.
 */
import type { ImagineRecord } from './index.ts';

export const DIGITAL_SOURCE_TYPE = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function aiLabelXmp(r: ImagineRecord, includePrompt: boolean): string {
  const desc = includePrompt ? `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${esc(r.text)}</rdf:li></rdf:Alt></dc:description>` : '';
  return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:vitrine="https://vitrine.invalid/ns/1.0/"
 Iptc4xmpExt:DigitalSourceType="${DIGITAL_SOURCE_TYPE}"
 xmp:CreatorTool="vitrine ${esc(r.model)}"
 vitrine:model="${esc(r.model)}" vitrine:seed="${r.seed}" vitrine:index="__INDEX__" vitrine:steps="${r.steps}" vitrine:guidance="${r.guidance}" vitrine:sampler="${r.method}" vitrine:precision="${r.precision}"${r.guidanceInterval ? ` vitrine:guidanceInterval="${r.guidanceInterval.join(' ')}"` : ''}>
${desc}<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">${esc(r.label)}</rdf:li></rdf:Alt></dc:rights>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="r"?>`;
}
