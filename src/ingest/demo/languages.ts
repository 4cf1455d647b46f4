/**
 * Words and phrasing for the demo platform's eleven languages: colour names,
 * where an emoji sits, how a background looks, caption / alt-text / re-post
 * templates, hashtags, contact lines (PII for the scrubber) and names.
 *
 * Every phrase is written for the grammar it lands in: backgrounds are whole
 * adverbial phrases ("sur un fond rouge uni", "auf rotem Hintergrund",
 * "на красном фоне") so templates never have to agree an adjective.
 */
import type { Rng } from '../../core/prng.ts';

export const LANGUAGES = ['en', 'fr', 'de', 'es', 'it', 'pt', 'nl', 'pl', 'ja', 'ru', 'sv'] as const;
export type Lang = (typeof LANGUAGES)[number];

export type ColourKey =
  | 'white'
  | 'black'
  | 'grey'
  | 'red'
  | 'orange'
  | 'yellow'
  | 'green'
  | 'blue'
  | 'lightblue'
  | 'navy'
  | 'purple'
  | 'pink'
  | 'brown'
  | 'beige'
  | 'turquoise';

/** Reference RGB of each named colour (pictures add a little jitter). */
export const COLOURS: Record<ColourKey, readonly [number, number, number]> = {
  white: [252, 252, 250],
  black: [28, 28, 30],
  grey: [150, 150, 152],
  red: [210, 45, 50],
  orange: [242, 140, 30],
  yellow: [247, 220, 60],
  green: [50, 160, 70],
  blue: [40, 95, 220],
  lightblue: [140, 200, 245],
  navy: [22, 36, 96],
  purple: [125, 60, 170],
  pink: [245, 160, 195],
  brown: [120, 82, 55],
  beige: [232, 218, 184],
  turquoise: [35, 188, 178],
};
export const COLOUR_KEYS = Object.keys(COLOURS) as ColourKey[];

/** The nine places an emoji can sit, row by row from the top left. */
export const POSITIONS = ['tl', 't', 'tr', 'l', 'c', 'r', 'bl', 'b', 'br'] as const;
export type PosKey = (typeof POSITIONS)[number];

export const SCENES = ['meadow', 'sea', 'sunset', 'night', 'beach', 'snow'] as const;
export type SceneKey = (typeof SCENES)[number];

/** Patterns only canaries use. */
export const PATTERNS = ['checker', 'stripes', 'dots'] as const;
export type PatternKey = (typeof PATTERNS)[number];

export type BackgroundDesc =
  | { kind: 'white' }
  | { kind: 'plain'; colour: ColourKey }
  | { kind: 'vgrad'; top: ColourKey; bottom: ColourKey }
  | { kind: 'hgrad'; left: ColourKey; right: ColourKey }
  | { kind: 'scene'; scene: SceneKey }
  | { kind: 'pattern'; pattern: PatternKey };

type Template = (what: string, bg: string) => string;

export interface LangPack {
  /** English name of the language. */
  name: string;
  quote: (s: string) => string;
  /** "the emoji “cat face” in the top left corner". */
  place: (label: string, pos: PosKey) => string;
  /** Joins two placements, spaces included (" and ", "、"). */
  and: string;
  background: (bg: BackgroundDesc) => string;
  captions: readonly Template[];
  alts: readonly Template[];
  hashtags: readonly string[];
  contact: {
    email: (email: string) => string;
    phone: (phone: string) => string;
    mention: (handle: string) => string;
    url: (url: string) => string;
  };
  phone: (rng: Rng) => string;
  repost: {
    /** Credits the original poster. */
    credit: readonly ((handle: string) => string)[];
    /** Quotes the original caption; `quoted` is already in quotation marks. */
    quote: readonly ((handle: string, quoted: string) => string)[];
    /** Neither credits nor quotes. */
    plain: readonly string[];
  };
  names: {
    first: readonly (readonly [native: string, latin: string])[];
    last: readonly (readonly [native: string, latin: string])[];
    /** How a display name is put together. */
    display: (first: string, last: string) => string;
  };
}

const d = (rng: Rng, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
  return s;
};

const same = (names: readonly string[]): (readonly [string, string])[] =>
  names.map((n) => [n, n] as const);

// ---------------------------------------------------------------- English
const EN_COLOUR: Record<ColourKey, string> = {
  white: 'white',
  black: 'black',
  grey: 'grey',
  red: 'red',
  orange: 'orange',
  yellow: 'yellow',
  green: 'green',
  blue: 'blue',
  lightblue: 'light blue',
  navy: 'navy blue',
  purple: 'purple',
  pink: 'pink',
  brown: 'brown',
  beige: 'beige',
  turquoise: 'turquoise',
};
const en: LangPack = {
  name: 'English',
  quote: (s) => `“${s}”`,
  place: (label, pos) =>
    `the ${`“${label}”`} emoji ${
      {
        tl: 'in the top left corner',
        t: 'at the top',
        tr: 'in the top right corner',
        l: 'on the left',
        c: 'in the centre',
        r: 'on the right',
        bl: 'in the bottom left corner',
        b: 'at the bottom',
        br: 'in the bottom right corner',
      }[pos]
    }`,
  and: ' and ',
  background: (bg) => {
    switch (bg.kind) {
      case 'white':
        return 'on a white background';
      case 'plain':
        return `on a plain ${EN_COLOUR[bg.colour]} background`;
      case 'vgrad':
        return `on a vertical gradient, ${EN_COLOUR[bg.top]} at the top and ${EN_COLOUR[bg.bottom]} at the bottom`;
      case 'hgrad':
        return `on a horizontal gradient, ${EN_COLOUR[bg.left]} on the left and ${EN_COLOUR[bg.right]} on the right`;
      case 'scene':
        return {
          meadow: 'against a blue sky above green grass',
          sea: 'in front of a sea horizon',
          sunset: 'against a sunset sky',
          night: 'under a starry night sky',
          beach: 'on a beach, between the sea and the sand',
          snow: 'over a snowy landscape',
        }[bg.scene];
      case 'pattern':
        return {
          checker: 'on a checkerboard pattern',
          stripes: 'on a diagonal striped pattern',
          dots: 'on a polka-dot pattern',
        }[bg.pattern];
    }
  },
  captions: [
    (w, b) => `New picture: ${w}, ${b}.`,
    (w, b) => `Today's little composition: ${w}, ${b}.`,
    (w, b) => `Made this one myself! ${ucfirst(w)}, ${b}.`,
    (w, b) => `Simple, but I like it: ${w}, ${b}.`,
    (w, b) => `I put ${w}, ${b}. What do you think?`,
  ],
  alts: [(w, b) => `Picture showing ${w}, ${b}.`, (w, b) => `Illustration: ${w}, ${b}.`],
  hashtags: ['#emoji', '#art', '#doodle', '#design'],
  contact: {
    email: (e) => `Prints on request: ${e}`,
    phone: (p) => `Call or text ${p}`,
    mention: (m) => `Thanks ${m}!`,
    url: (u) => `More at ${u}`,
  },
  phone: (r) => `+1 202-555-01${d(r, 2)}`,
  repost: {
    credit: [(h) => `Love this one by ${h}`, (h) => `So good, by ${h}`],
    quote: [(h, q) => `Repost from ${h}: ${q}`, (h, q) => `${q} (via ${h})`],
    plain: ['Found this on my feed, so cute!', 'Saving this one for later.', 'Can’t stop looking at this.'],
  },
  names: {
    first: same(['Alex', 'Jordan', 'Sam', 'Taylor', 'Morgan', 'Emily', 'James', 'Olivia', 'Noah', 'Grace', 'Ben', 'Chloe']),
    last: same(['Smith', 'Taylor', 'Brown', 'Walker', 'Hughes', 'Clarke', 'Patel', 'Murphy']),
    display: (f, l) => `${f} ${l}`,
  },
};

// ---------------------------------------------------------------- French
const FR_COLOUR: Record<ColourKey, string> = {
  white: 'blanc',
  black: 'noir',
  grey: 'gris',
  red: 'rouge',
  orange: 'orange',
  yellow: 'jaune',
  green: 'vert',
  blue: 'bleu',
  lightblue: 'bleu ciel',
  navy: 'bleu marine',
  purple: 'violet',
  pink: 'rose',
  brown: 'marron',
  beige: 'beige',
  turquoise: 'turquoise',
};
const fr: LangPack = {
  name: 'French',
  quote: (s) => `« ${s} »`,
  place: (label, pos) =>
    `l'emoji « ${label} » ${
      {
        tl: 'en haut à gauche',
        t: 'en haut',
        tr: 'en haut à droite',
        l: 'à gauche',
        c: 'au centre',
        r: 'à droite',
        bl: 'en bas à gauche',
        b: 'en bas',
        br: 'en bas à droite',
      }[pos]
    }`,
  and: ' et ',
  background: (bg) => {
    switch (bg.kind) {
      case 'white':
        return 'sur fond blanc';
      case 'plain':
        return `sur un fond ${FR_COLOUR[bg.colour]} uni`;
      case 'vgrad':
        return `sur un dégradé vertical, ${FR_COLOUR[bg.top]} en haut et ${FR_COLOUR[bg.bottom]} en bas`;
      case 'hgrad':
        return `sur un dégradé horizontal, ${FR_COLOUR[bg.left]} à gauche et ${FR_COLOUR[bg.right]} à droite`;
      case 'scene':
        return {
          meadow: "devant un ciel bleu au-dessus d'une prairie verte",
          sea: 'devant un horizon marin',
          sunset: 'sur un ciel de coucher de soleil',
          night: 'sous un ciel étoilé',
          beach: 'sur une plage, entre la mer et le sable',
          snow: 'sur un paysage enneigé',
        }[bg.scene];
      case 'pattern':
        return {
          checker: 'sur un motif en damier',
          stripes: 'sur un motif à rayures diagonales',
          dots: 'sur un motif à pois',
        }[bg.pattern];
    }
  },
  captions: [
    (w, b) => `Nouvelle image : ${w}, ${b}.`,
    (w, b) => `Ma petite composition du jour : ${w}, ${b}.`,
    (w, b) => `Fait maison ! ${ucfirst(w)}, ${b}.`,
    (w, b) => `J'ai posé ${w}, ${b}. Simple, mais ça me plaît.`,
    (w, b) => `Qu'en pensez-vous ? ${ucfirst(w)}, ${b}.`,
  ],
  alts: [(w, b) => `Image montrant ${w}, ${b}.`, (w, b) => `Illustration : ${w}, ${b}.`],
  hashtags: ['#emoji', '#dessin', '#création', '#illustration'],
  contact: {
    email: (e) => `Tirages sur demande : ${e}`,
    phone: (p) => `Appelez-moi au ${p}`,
    mention: (m) => `Merci ${m} !`,
    url: (u) => `D'autres images sur ${u}`,
  },
  // ARCEP keeps 06 39 98 xx xx for fiction.
  phone: (r) => `06 39 98 ${d(r, 2)} ${d(r, 2)}`,
  repost: {
    credit: [(h) => `J'adore celle-ci, de ${h}`, (h) => `Trop joli, signé ${h}`],
    quote: [(h, q) => `Repris de ${h} : ${q}`, (h, q) => `${q} (via ${h})`],
    plain: ['Vu passer sur mon fil, trop mignon !', 'Je garde ça pour plus tard.', 'Je ne m’en lasse pas.'],
  },
  names: {
    first: same(['Camille', 'Léa', 'Manon', 'Chloé', 'Lucas', 'Hugo', 'Louis', 'Jules', 'Inès', 'Élodie', 'Théo', 'Margaux']),
    last: same(['Martin', 'Bernard', 'Dubois', 'Lefèvre', 'Moreau', 'Girard', 'Fontaine', 'Rousseau']),
    display: (f, l) => `${f} ${l}`,
  },
};

// ---------------------------------------------------------------- German
/** Dative after "auf" without article ("auf rotem Hintergrund"). */
const DE_DAT: Record<ColourKey, string> = {
  white: 'weißem',
  black: 'schwarzem',
  grey: 'grauem',
  red: 'rotem',
  orange: 'orangefarbenem',
  yellow: 'gelbem',
  green: 'grünem',
  blue: 'blauem',
  lightblue: 'hellblauem',
  navy: 'marineblauem',
  purple: 'violettem',
  pink: 'rosafarbenem',
  brown: 'braunem',
  beige: 'beigem',
  turquoise: 'türkisem',
};
const DE_PRED: Record<ColourKey, string> = {
  white: 'weiß',
  black: 'schwarz',
  grey: 'grau',
  red: 'rot',
  orange: 'orange',
  yellow: 'gelb',
  green: 'grün',
  blue: 'blau',
  lightblue: 'hellblau',
  navy: 'marineblau',
  purple: 'violett',
  pink: 'rosa',
  brown: 'braun',
  beige: 'beige',
  turquoise: 'türkis',
};
const de: LangPack = {
  name: 'German',
  quote: (s) => `„${s}“`,
  place: (label, pos) =>
    `das Emoji „${label}“ ${
      {
        tl: 'oben links',
        t: 'oben',
        tr: 'oben rechts',
        l: 'links',
        c: 'in der Mitte',
        r: 'rechts',
        bl: 'unten links',
        b: 'unten',
        br: 'unten rechts',
      }[pos]
    }`,
  and: ' und ',
  background: (bg) => {
    switch (bg.kind) {
      case 'white':
        return 'auf weißem Hintergrund';
      case 'plain':
        return `auf einfarbig ${DE_DAT[bg.colour]} Hintergrund`;
      case 'vgrad':
        return `auf einem senkrechten Farbverlauf, oben ${DE_PRED[bg.top]} und unten ${DE_PRED[bg.bottom]}`;
      case 'hgrad':
        return `auf einem waagerechten Farbverlauf, links ${DE_PRED[bg.left]} und rechts ${DE_PRED[bg.right]}`;
      case 'scene':
        return {
          meadow: 'vor blauem Himmel über einer grünen Wiese',
          sea: 'vor einem Meereshorizont',
          sunset: 'vor einem Abendhimmel bei Sonnenuntergang',
          night: 'unter einem Sternenhimmel',
          beach: 'an einem Strand zwischen Meer und Sand',
          snow: 'vor einer verschneiten Landschaft',
        }[bg.scene];
      case 'pattern':
        return {
          checker: 'auf einem Schachbrettmuster',
          stripes: 'auf einem diagonalen Streifenmuster',
          dots: 'auf einem Punktemuster',
        }[bg.pattern];
    }
  },
  captions: [
    (w, b) => `Neues Bild: ${w}, ${b}.`,
    (w, b) => `Meine kleine Komposition von heute: ${w}, ${b}.`,
    (w, b) => `Selbst gemacht! ${ucfirst(w)}, ${b}.`,
    (w, b) => `Schlicht, aber ich mag es: ${w}, ${b}.`,
    (w, b) => `Was meint ihr? ${ucfirst(w)}, ${b}.`,
  ],
  alts: [(w, b) => `Bild: ${w}, ${b}.`, (w, b) => `Zu sehen: ${w}, ${b}.`],
  hashtags: ['#emoji', '#kunst', '#zeichnung', '#design'],
  contact: {
    email: (e) => `Drucke auf Anfrage: ${e}`,
    phone: (p) => `Ruf mich an: ${p}`,
    mention: (m) => `Danke ${m}!`,
    url: (u) => `Mehr unter ${u}`,
  },
  phone: (r) => `+49 176 ${d(r, 4)} ${d(r, 4)}`,
  repost: {
    credit: [(h) => `Tolles Bild von ${h}`, (h) => `Schön gemacht, ${h}`],
    quote: [(h, q) => `Repost von ${h}: ${q}`, (h, q) => `${q} (via ${h})`],
    plain: ['In meinem Feed gefunden, so süß!', 'Das hebe ich mir auf.', 'Ich kann nicht aufhören, das anzuschauen.'],
  },
  names: {
    first: same(['Lena', 'Mia', 'Hannah', 'Lukas', 'Jonas', 'Felix', 'Paul', 'Sophie', 'Jana', 'Moritz', 'Greta', 'Tobias']),
    last: same(['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Becker', 'Wagner', 'Hoffmann']),
    display: (f, l) => `${f} ${l}`,
  },
};

// ---------------------------------------------------------------- Spanish
const ES_COLOUR: Record<ColourKey, string> = {
  white: 'blanco',
  black: 'negro',
  grey: 'gris',
  red: 'rojo',
  orange: 'naranja',
  yellow: 'amarillo',
  green: 'verde',
  blue: 'azul',
  lightblue: 'celeste',
  navy: 'azul marino',
  purple: 'morado',
  pink: 'rosa',
  brown: 'marrón',
  beige: 'beis',
  turquoise: 'turquesa',
};
const es: LangPack = {
  name: 'Spanish',
  quote: (s) => `«${s}»`,
  place: (label, pos) =>
    `el emoji «${label}» ${
      {
        tl: 'arriba a la izquierda',
        t: 'arriba',
        tr: 'arriba a la derecha',
        l: 'a la izquierda',
        c: 'en el centro',
        r: 'a la derecha',
        bl: 'abajo a la izquierda',
        b: 'abajo',
        br: 'abajo a la derecha',
      }[pos]
    }`,
  and: ' y ',
  background: (bg) => {
    switch (bg.kind) {
      case 'white':
        return 'sobre fondo blanco';
      case 'plain':
        return `sobre un fondo ${ES_COLOUR[bg.colour]} liso`;
      case 'vgrad':
        return `sobre un degradado vertical, ${ES_COLOUR[bg.top]} arriba y ${ES_COLOUR[bg.bottom]} abajo`;
      case 'hgrad':
        return `sobre un degradado horizontal, ${ES_COLOUR[bg.left]} a la izquierda y ${ES_COLOUR[bg.right]} a la derecha`;
      case 'scene':
        return {
          meadow: 'con un cielo azul sobre la hierba verde',
          sea: 'frente al horizonte del mar',
          sunset: 'con un cielo de atardecer',
          night: 'bajo un cielo estrellado',
          beach: 'en una playa, entre el mar y la arena',
          snow: 'sobre un paisaje nevado',
        }[bg.scene];
      case 'pattern':
        return {
          checker: 'sobre un estampado de cuadros',
          stripes: 'sobre un estampado de rayas diagonales',
          dots: 'sobre un estampado de lunares',
        }[bg.pattern];
    }
  },
  captions: [
    (w, b) => `Nueva imagen: ${w}, ${b}.`,
    (w, b) => `Mi pequeña composición de hoy: ${w}, ${b}.`,
    (w, b) => `¡Hecho por mí! ${ucfirst(w)}, ${b}.`,
    (w, b) => `Hoy he puesto ${w}, ${b}. Sencillo, pero me gusta.`,
    (w, b) => `¿Qué os parece? ${ucfirst(w)}, ${b}.`,
  ],
  alts: [(w, b) => `Imagen con ${w}, ${b}.`, (w, b) => `Ilustración: ${w}, ${b}.`],
  hashtags: ['#emoji', '#arte', '#dibujo', '#diseño'],
  contact: {
    email: (e) => `Copias por encargo: ${e}`,
    phone: (p) => `Llámame al ${p}`,
    mention: (m) => `¡Gracias ${m}!`,
    url: (u) => `Más en ${u}`,
  },
  phone: (r) => `+34 6${d(r, 2)} ${d(r, 3)} ${d(r, 3)}`,
  repost: {
    credit: [(h) => `Me encanta esta de ${h}`, (h) => `Qué bonita, de ${h}`],
    quote: [(h, q) => `Repost de ${h}: ${q}`, (h, q) => `${q} (vía ${h})`],
    plain: ['Lo vi en mi feed, ¡qué monada!', 'Me lo guardo para luego.', 'No puedo dejar de mirarla.'],
  },
  names: {
    first: same(['Lucía', 'Sofía', 'Martina', 'Hugo', 'Pablo', 'Álvaro', 'Carmen', 'Javier', 'Elena', 'Diego', 'Nerea', 'Mateo']),
    last: same(['García', 'Martínez', 'López', 'Sánchez', 'Romero', 'Navarro', 'Torres', 'Ruiz']),
    display: (f, l) => `${f} ${l}`,
  },
};

// ---------------------------------------------------------------- Italian
const IT_COLOUR: Record<ColourKey, string> = {
  white: 'bianco',
  black: 'nero',
  grey: 'grigio',
  red: 'rosso',
  orange: 'arancione',
  yellow: 'giallo',
  green: 'verde',
  blue: 'blu',
  lightblue: 'azzurro',
  navy: 'blu scuro',
  purple: 'viola',
  pink: 'rosa',
  brown: 'marrone',
  beige: 'beige',
  turquoise: 'turchese',
};
const it: LangPack = {
  name: 'Italian',
  quote: (s) => `«${s}»`,
  place: (label, pos) =>
    `l'emoji «${label}» ${
      {
        tl: 'in alto a sinistra',
        t: 'in alto',
        tr: 'in alto a destra',
        l: 'a sinistra',
        c: 'al centro',
        r: 'a destra',
        bl: 'in basso a sinistra',
        b: 'in basso',
        br: 'in basso a destra',
      }[pos]
    }`,
  and: ' e ',
  background: (bg) => {
    switch (bg.kind) {
      case 'white':
        return 'su sfondo bianco';
      case 'plain':
        return `su uno sfondo ${IT_COLOUR[bg.colour]} uniforme`;
      case 'vgrad':
        return `su una sfumatura verticale, ${IT_COLOUR[bg.top]} in alto e ${IT_COLOUR[bg.bottom]} in basso`;
      case 'hgrad':
        return `su una sfumatura orizzontale, ${IT_COLOUR[bg.left]} a sinistra e ${IT_COLOUR[bg.right]} a destra`;
      case 'scene':
        return {
          meadow: 'con un cielo azzurro sopra un prato verde',
          sea: "davanti all'orizzonte del mare",
          sunset: 'con un cielo al tramonto',
          night: 'sotto un cielo stellato',
          beach: 'su una spiaggia, tra mare e sabbia',
          snow: 'su un paesaggio innevato',
        }[bg.scene];
      case 'pattern':
        return {
          checker: 'su un motivo a scacchi',
          stripes: 'su un motivo a righe diagonali',
          dots: 'su un motivo a pois',
        }[bg.pattern];
    }
  },
  captions: [
    (w, b) => `Nuova immagine: ${w}, ${b}.`,
    (w, b) => `La mia piccola composizione di oggi: ${w}, ${b}.`,
    (w, b) => `Fatto da me! ${ucfirst(w)}, ${b}.`,
    (w, b) => `Oggi ho messo ${w}, ${b}. Semplice, ma mi piace.`,
    (w, b) => `Che ne dite? ${ucfirst(w)}, ${b}.`,
  ],
  alts: [(w, b) => `Immagine con ${w}, ${b}.`, (w, b) => `Illustrazione: ${w}, ${b}.`],
  hashtags: ['#emoji', '#arte', '#disegno', '#design'],
  contact: {
    email: (e) => `Stampe su richiesta: ${e}`,
    phone: (p) => `Chiamami al ${p}`,
    mention: (m) => `Grazie ${m}!`,
    url: (u) => `Altro su ${u}`,
  },
  phone: (r) => `+39 3${d(r, 2)} ${d(r, 3)} ${d(r, 4)}`,
  repost: {
    credit: [(h) => `Adoro questa di ${h}`, (h) => `Bellissima, di ${h}`],
    quote: [(h, q) => `Repost da ${h}: ${q}`, (h, q) => `${q} (via ${h})`],
    plain: ['Trovata nel mio feed, che carina!', 'Me la salvo per dopo.', 'Non smetto di guardarla.'],
  },
  names: {
    first: same(['Giulia', 'Chiara', 'Francesca', 'Marco', 'Luca', 'Matteo', 'Alessandro', 'Sara', 'Elena', 'Davide', 'Martina', 'Lorenzo']),
    last: same(['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci']),
    display: (f, l) => `${f} ${l}`,
  },
};

// ---------------------------------------------------------------- Portuguese (Brazil)
const PT_COLOUR: Record<ColourKey, string> = {
  white: 'branco',
  black: 'preto',
  grey: 'cinza',
  red: 'vermelho',
  orange: 'laranja',
  yellow: 'amarelo',
  green: 'verde',
  blue: 'azul',
  lightblue: 'azul-claro',
  navy: 'azul-marinho',
  purple: 'roxo',
  pink: 'rosa',
  brown: 'marrom',
  beige: 'bege',
  turquoise: 'turquesa',
};
const pt: LangPack = {
  name: 'Portuguese',
  quote: (s) => `“${s}”`,
  place: (label, pos) =>
    `o emoji “${label}” ${
      {
        tl: 'no canto superior esquerdo',
        t: 'em cima',
        tr: 'no canto superior direito',
        l: 'à esquerda',
        c: 'no centro',
        r: 'à direita',
        bl: 'no canto inferior esquerdo',
        b: 'embaixo',
        br: 'no canto inferior direito',
      }[pos]
    }`,
  and: ' e ',
  background: (bg) => {
    switch (bg.kind) {
      case 'white':
        return 'sobre fundo branco';
      case 'plain':
        return `sobre um fundo ${PT_COLOUR[bg.colour]} liso`;
      case 'vgrad':
        return `sobre um degradê vertical, ${PT_COLOUR[bg.top]} em cima e ${PT_COLOUR[bg.bottom]} embaixo`;
      case 'hgrad':
        return `sobre um degradê horizontal, ${PT_COLOUR[bg.left]} à esquerda e ${PT_COLOUR[bg.right]} à direita`;
      case 'scene':
        return {
          meadow: 'com um céu azul sobre a grama verde',
          sea: 'diante do horizonte do mar',
          sunset: 'com um céu de pôr do sol',
          night: 'sob um céu estrelado',
          beach: 'numa praia, entre o mar e a areia',
          snow: 'sobre uma paisagem com neve',
        }[bg.scene];
      case 'pattern':
        return {
          checker: 'sobre uma estampa xadrez',
          stripes: 'sobre uma estampa de listras diagonais',
          dots: 'sobre uma estampa de bolinhas',
        }[bg.pattern];
    }
  },
  captions: [
    (w, b) => `Nova imagem: ${w}, ${b}.`,
    (w, b) => `Minha pequena composição de hoje: ${w}, ${b}.`,
    (w, b) => `Feito por mim! ${ucfirst(w)}, ${b}.`,
    (w, b) => `Hoje coloquei ${w}, ${b}. Simples, mas eu gosto.`,
    (w, b) => `O que acharam? ${ucfirst(w)}, ${b}.`,
  ],
  alts: [(w, b) => `Imagem com ${w}, ${b}.`, (w, b) => `Ilustração: ${w}, ${b}.`],
  hashtags: ['#emoji', '#arte', '#desenho', '#design'],
  contact: {
    email: (e) => `Cópias sob encomenda: ${e}`,
    phone: (p) => `Me liga: ${p}`,
    mention: (m) => `Valeu ${m}!`,
    url: (u) => `Mais em ${u}`,
  },
  phone: (r) => `+55 11 9${d(r, 4)}-${d(r, 4)}`,
  repost: {
    credit: [(h) => `Adoro esta de ${h}`, (h) => `Que linda, feita por ${h}`],
    quote: [(h, q) => `Repost de ${h}: ${q}`, (h, q) => `${q} (via ${h})`],
    plain: ['Vi no meu feed, que fofo!', 'Guardando para depois.', 'Não consigo parar de olhar.'],
  },
  names: {
    first: same(['Ana', 'Beatriz', 'Mariana', 'João', 'Pedro', 'Gabriel', 'Larissa', 'Rafael', 'Camila', 'Thiago', 'Júlia', 'Lucas']),
    last: same(['Silva', 'Santos', 'Oliveira', 'Souza', 'Costa', 'Pereira', 'Almeida', 'Ferreira']),
    display: (f, l) => `${f} ${l}`,
  },
};

// ---------------------------------------------------------------- Dutch
/** Inflected adjective after "een" with a de-word ("een rode achtergrond"). */
const NL_ATTR: Record<ColourKey, string> = {
  white: 'witte',
  black: 'zwarte',
  grey: 'grijze',
  red: 'rode',
  orange: 'oranje',
  yellow: 'gele',
  green: 'groene',
  blue: 'blauwe',
  lightblue: 'lichtblauwe',
  navy: 'donkerblauwe',
  purple: 'paarse',
  pink: 'roze',
  brown: 'bruine',
  beige: 'beige',
  turquoise: 'turquoise',
};
const NL_PRED: Record<ColourKey, string> = {
  white: 'wit',
  black: 'zwart',
  grey: 'grijs',
  red: 'rood',
  orange: 'oranje',
  yellow: 'geel',
  green: 'groen',
  blue: 'blauw',
  lightblue: 'lichtblauw',
  navy: 'donkerblauw',
  purple: 'paars',
  pink: 'roze',
  brown: 'bruin',
  beige: 'beige',
  turquoise: 'turquoise',
};
const nl: LangPack = {
  name: 'Dutch',
  quote: (s) => `‘${s}’`,
  place: (label, pos) =>
    `de emoji ‘${label}’ ${
      {
        tl: 'linksboven',
        t: 'bovenaan',
        tr: 'rechtsboven',
        l: 'links',
        c: 'in het midden',
        r: 'rechts',
        bl: 'linksonder',
        b: 'onderaan',
        br: 'rechtsonder',
      }[pos]
    }`,
  and: ' en ',
  background: (bg) => {
    switch (bg.kind) {
      case 'white':
        return 'op een witte achtergrond';
      case 'plain':
        return `op een effen ${NL_ATTR[bg.colour]} achtergrond`;
      case 'vgrad':
        return `op een verticaal kleurverloop, boven ${NL_PRED[bg.top]} en onder ${NL_PRED[bg.bottom]}`;
      case 'hgrad':
        return `op een horizontaal kleurverloop, links ${NL_PRED[bg.left]} en rechts ${NL_PRED[bg.right]}`;
      case 'scene':
        return {
          meadow: 'tegen een blauwe lucht boven groen gras',
          sea: 'voor een horizon op zee',
          sunset: 'tegen een lucht bij zonsondergang',
          night: 'onder een sterrenhemel',
          beach: 'op een strand, tussen zee en zand',
          snow: 'in een sneeuwlandschap',
        }[bg.scene];
      case 'pattern':
        return {
          checker: 'op een dambordpatroon',
          stripes: 'op een patroon van schuine strepen',
          dots: 'op een stippenpatroon',
        }[bg.pattern];
    }
  },
  captions: [
    (w, b) => `Nieuwe afbeelding: ${w}, ${b}.`,
    (w, b) => `Mijn kleine compositie van vandaag: ${w}, ${b}.`,
    (w, b) => `Zelf gemaakt! ${ucfirst(w)}, ${b}.`,
    (w, b) => `Simpel, maar ik vind het mooi: ${w}, ${b}.`,
    (w, b) => `Wat vinden jullie ervan? ${ucfirst(w)}, ${b}.`,
  ],
  alts: [(w, b) => `Afbeelding met ${w}, ${b}.`, (w, b) => `Illustratie: ${w}, ${b}.`],
  hashtags: ['#emoji', '#kunst', '#tekening', '#ontwerp'],
  contact: {
    email: (e) => `Afdrukken op aanvraag: ${e}`,
    phone: (p) => `Bel me op ${p}`,
    mention: (m) => `Bedankt ${m}!`,
    url: (u) => `Meer op ${u}`,
  },
  phone: (r) => `06-${d(r, 8)}`,
  repost: {
    credit: [(h) => `Prachtig plaatje van ${h}`, (h) => `Mooi gedaan, ${h}`],
    quote: [(h, q) => `Repost van ${h}: ${q}`, (h, q) => `${q} (via ${h})`],
    plain: ['Op mijn tijdlijn gezien, zo schattig!', 'Deze bewaar ik even.', 'Ik blijf ernaar kijken.'],
  },
  names: {
    first: same(['Emma', 'Sanne', 'Fleur', 'Daan', 'Sem', 'Lars', 'Noor', 'Bram', 'Lotte', 'Thijs', 'Julia', 'Ruben']),
    last: same(['de Jong', 'Jansen', 'de Vries', 'Bakker', 'Visser', 'Smit', 'Meijer', 'van Dijk']),
    display: (f, l) => `${f} ${l}`,
  },
};

// ---------------------------------------------------------------- Polish
/** Locative neuter ("na czerwonym tle"). */
const PL_LOC: Record<ColourKey, string> = {
  white: 'białym',
  black: 'czarnym',
  grey: 'szarym',
  red: 'czerwonym',
  orange: 'pomarańczowym',
  yellow: 'żółtym',
  green: 'zielonym',
  blue: 'niebieskim',
  lightblue: 'błękitnym',
  navy: 'granatowym',
  purple: 'fioletowym',
  pink: 'różowym',
  brown: 'brązowym',
  beige: 'beżowym',
  turquoise: 'turkusowym',
};
/** Nominative masculine, agreeing with an implied "kolor". */
const PL_NOM: Record<ColourKey, string> = {
  white: 'biały',
  black: 'czarny',
  grey: 'szary',
  red: 'czerwony',
  orange: 'pomarańczowy',
  yellow: 'żółty',
  green: 'zielony',
  blue: 'niebieski',
  lightblue: 'błękitny',
  navy: 'granatowy',
  purple: 'fioletowy',
  pink: 'różowy',
  brown: 'brązowy',
  beige: 'beżowy',
  turquoise: 'turkusowy',
};
const pl: LangPack = {
  name: 'Polish',
  quote: (s) => `„${s}”`,
  place: (label, pos) =>
    `emoji „${label}” ${
      {
        tl: 'w lewym górnym rogu',
        t: 'u góry',
        tr: 'w prawym górnym rogu',
        l: 'po lewej',
        c: 'na środku',
        r: 'po prawej',
        bl: 'w lewym dolnym rogu',
        b: 'na dole',
        br: 'w prawym dolnym rogu',
      }[pos]
    }`,
  and: ' i ',
  background: (bg) => {
    switch (bg.kind) {
      case 'white':
        return 'na białym tle';
      case 'plain':
        return `na jednolitym ${PL_LOC[bg.colour]} tle`;
      case 'vgrad':
        return `na pionowym gradiencie: u góry ${PL_NOM[bg.top]}, na dole ${PL_NOM[bg.bottom]}`;
      case 'hgrad':
        return `na poziomym gradiencie: z lewej ${PL_NOM[bg.left]}, z prawej ${PL_NOM[bg.right]}`;
      case 'scene':
        return {
          meadow: 'na tle błękitnego nieba nad zieloną trawą',
          sea: 'na tle morskiego horyzontu',
          sunset: 'na tle nieba o zachodzie słońca',
          night: 'pod rozgwieżdżonym niebem',
          beach: 'na plaży, między morzem a piaskiem',
          snow: 'na tle zaśnieżonego krajobrazu',
        }[bg.scene];
      case 'pattern':
        return {
          checker: 'na tle w szachownicę',
          stripes: 'na tle w ukośne paski',
          dots: 'na tle w kropki',
        }[bg.pattern];
    }
  },
  captions: [
    (w, b) => `Nowy obrazek: ${w}, ${b}.`,
    (w, b) => `Moja mała kompozycja na dziś: ${w}, ${b}.`,
    (w, b) => `Zrobione samodzielnie! ${ucfirst(w)}, ${b}.`,
    (w, b) => `Proste, ale mi się podoba: ${w}, ${b}.`,
    (w, b) => `Co myślicie? ${ucfirst(w)}, ${b}.`,
  ],
  alts: [(w, b) => `Obraz: ${w}, ${b}.`, (w, b) => `Ilustracja: ${w}, ${b}.`],
  hashtags: ['#emoji', '#sztuka', '#rysunek', '#grafika'],
  contact: {
    email: (e) => `Wydruki na zamówienie: ${e}`,
    phone: (p) => `Zadzwoń: ${p}`,
    mention: (m) => `Dzięki ${m}!`,
    url: (u) => `Więcej na ${u}`,
  },
  phone: (r) => `+48 5${d(r, 2)} ${d(r, 3)} ${d(r, 3)}`,
  repost: {
    credit: [(h) => `Świetny obrazek od ${h}`, (h) => `Piękne, autor: ${h}`],
    quote: [(h, q) => `Repost od ${h}: ${q}`, (h, q) => `${q} (via ${h})`],
    plain: ['Znalezione na tablicy, urocze!', 'Zapisuję na później.', 'Nie mogę przestać na to patrzeć.'],
  },
  names: {
    // Surnames that do not change with gender.
    first: same(['Zofia', 'Maja', 'Julia', 'Jakub', 'Kacper', 'Antoni', 'Aleksandra', 'Wojciech', 'Natalia', 'Szymon', 'Hanna', 'Michał']),
    last: same(['Nowak', 'Wójcik', 'Mazur', 'Krawczyk', 'Kaczmarek', 'Zając', 'Król', 'Wróbel']),
    display: (f, l) => `${f} ${l}`,
  },
};

// ---------------------------------------------------------------- Japanese
const JA_COLOUR: Record<ColourKey, string> = {
  white: '白',
  black: '黒',
  grey: '灰色',
  red: '赤',
  orange: 'オレンジ',
  yellow: '黄色',
  green: '緑',
  blue: '青',
  lightblue: '水色',
  navy: '紺色',
  purple: '紫',
  pink: 'ピンク',
  brown: '茶色',
  beige: 'ベージュ',
  turquoise: 'ターコイズ',
};
const ja: LangPack = {
  name: 'Japanese',
  quote: (s) => `「${s}」`,
  // Templates end the sentence with "にあります", after the last position.
  place: (label, pos) =>
    `「${label}」の絵文字が${
      { tl: '左上', t: '上', tr: '右上', l: '左', c: '中央', r: '右', bl: '左下', b: '下', br: '右下' }[pos]
    }`,
  and: '、',
  background: (bg) => {
    switch (bg.kind) {
      case 'white':
        return '白い背景に';
      case 'plain':
        return `${JA_COLOUR[bg.colour]}一色の背景に`;
      case 'vgrad':
        return `上が${JA_COLOUR[bg.top]}、下が${JA_COLOUR[bg.bottom]}の縦グラデーションの背景に`;
      case 'hgrad':
        return `左が${JA_COLOUR[bg.left]}、右が${JA_COLOUR[bg.right]}の横グラデーションの背景に`;
      case 'scene':
        return {
          meadow: '青空と緑の草原を背景に',
          sea: '海の水平線を背景に',
          sunset: '夕焼け空を背景に',
          night: '星空の下に',
          beach: '海と砂浜を背景に',
          snow: '雪景色を背景に',
        }[bg.scene];
      case 'pattern':
        return {
          checker: '市松模様の背景に',
          stripes: '斜めストライプの背景に',
          dots: '水玉模様の背景に',
        }[bg.pattern];
    }
  },
  captions: [
    (w, b) => `新しい画像です。${b}、${w}にあります。`,
    (w, b) => `今日の小さな作品：${b}、${w}にあります。`,
    (w, b) => `自分で作りました！${b}、${w}にあります。`,
    (w, b) => `シンプルだけど気に入っています。${b}、${w}にあります。`,
    (w, b) => `どうでしょう？${b}、${w}にあります。`,
  ],
  alts: [(w, b) => `画像：${b}、${w}にあります。`, (w, b) => `イラスト：${b}、${w}にあります。`],
  hashtags: ['#絵文字', '#イラスト', '#アート', '#デザイン'],
  contact: {
    email: (e) => `プリントのご依頼は ${e} まで`,
    phone: (p) => `お電話は ${p} へ`,
    mention: (m) => `${m} さん、ありがとう！`,
    url: (u) => `詳しくは ${u}`,
  },
  phone: (r) => `090-${d(r, 4)}-${d(r, 4)}`,
  repost: {
    credit: [(h) => `${h} さんの作品、好きです`, (h) => `${h} さん、素敵！`],
    quote: [(h, q) => `${h} さんから転載：${q}`, (h, q) => `${q}（${h} さんより）`],
    plain: ['タイムラインで見つけた、かわいい！', 'あとで見る用に保存。', 'ずっと見ていられる。'],
  },
  names: {
    first: [
      ['さくら', 'sakura'],
      ['ゆい', 'yui'],
      ['はると', 'haruto'],
      ['そうた', 'sota'],
      ['あおい', 'aoi'],
      ['れん', 'ren'],
      ['ひなた', 'hinata'],
      ['みお', 'mio'],
      ['ゆうき', 'yuki'],
      ['かいと', 'kaito'],
    ],
    last: [
      ['佐藤', 'sato'],
      ['鈴木', 'suzuki'],
      ['高橋', 'takahashi'],
      ['田中', 'tanaka'],
      ['伊藤', 'ito'],
      ['渡辺', 'watanabe'],
      ['山本', 'yamamoto'],
      ['中村', 'nakamura'],
    ],
    display: (f, l) => `${l} ${f}`,
  },
};

// ---------------------------------------------------------------- Russian
/** Prepositional masculine ("на красном фоне"). */
const RU_PREP: Record<ColourKey, string> = {
  white: 'белом',
  black: 'чёрном',
  grey: 'сером',
  red: 'красном',
  orange: 'оранжевом',
  yellow: 'жёлтом',
  green: 'зелёном',
  blue: 'синем',
  lightblue: 'голубом',
  navy: 'тёмно-синем',
  purple: 'фиолетовом',
  pink: 'розовом',
  brown: 'коричневом',
  beige: 'бежевом',
  turquoise: 'бирюзовом',
};
/** Nominative masculine, agreeing with an implied "цвет". */
const RU_NOM: Record<ColourKey, string> = {
  white: 'белый',
  black: 'чёрный',
  grey: 'серый',
  red: 'красный',
  orange: 'оранжевый',
  yellow: 'жёлтый',
  green: 'зелёный',
  blue: 'синий',
  lightblue: 'голубой',
  navy: 'тёмно-синий',
  purple: 'фиолетовый',
  pink: 'розовый',
  brown: 'коричневый',
  beige: 'бежевый',
  turquoise: 'бирюзовый',
};
const ru: LangPack = {
  name: 'Russian',
  quote: (s) => `«${s}»`,
  place: (label, pos) =>
    `эмодзи «${label}» ${
      {
        tl: 'в левом верхнем углу',
        t: 'вверху',
        tr: 'в правом верхнем углу',
        l: 'слева',
        c: 'в центре',
        r: 'справа',
        bl: 'в левом нижнем углу',
        b: 'внизу',
        br: 'в правом нижнем углу',
      }[pos]
    }`,
  and: ' и ',
  background: (bg) => {
    switch (bg.kind) {
      case 'white':
        return 'на белом фоне';
      case 'plain':
        return `на однотонном ${RU_PREP[bg.colour]} фоне`;
      case 'vgrad':
        return `на вертикальном градиенте: сверху ${RU_NOM[bg.top]}, снизу ${RU_NOM[bg.bottom]}`;
      case 'hgrad':
        return `на горизонтальном градиенте: слева ${RU_NOM[bg.left]}, справа ${RU_NOM[bg.right]}`;
      case 'scene':
        return {
          meadow: 'на фоне голубого неба над зелёной травой',
          sea: 'на фоне морского горизонта',
          sunset: 'на фоне закатного неба',
          night: 'под звёздным небом',
          beach: 'на пляже, между морем и песком',
          snow: 'на фоне заснеженного пейзажа',
        }[bg.scene];
      case 'pattern':
        return {
          checker: 'на фоне в шахматную клетку',
          stripes: 'на фоне в диагональную полоску',
          dots: 'на фоне в горошек',
        }[bg.pattern];
    }
  },
  captions: [
    (w, b) => `Новая картинка: ${w}, ${b}.`,
    (w, b) => `Моя маленькая композиция на сегодня: ${w}, ${b}.`,
    (w, b) => `Сделано своими руками! ${ucfirst(w)}, ${b}.`,
    (w, b) => `Просто, но мне нравится: ${w}, ${b}.`,
    (w, b) => `Как вам? ${ucfirst(w)}, ${b}.`,
  ],
  alts: [(w, b) => `Изображение: ${w}, ${b}.`, (w, b) => `Иллюстрация: ${w}, ${b}.`],
  hashtags: ['#эмодзи', '#арт', '#рисунок', '#дизайн'],
  contact: {
    email: (e) => `Печать на заказ: ${e}`,
    phone: (p) => `Звоните: ${p}`,
    mention: (m) => `Спасибо ${m}!`,
    url: (u) => `Подробнее: ${u}`,
  },
  phone: (r) => `+7 9${d(r, 2)} ${d(r, 3)}-${d(r, 2)}-${d(r, 2)}`,
  repost: {
    credit: [(h) => `Обожаю эту картинку от ${h}`, (h) => `Красота, автор — ${h}`],
    quote: [(h, q) => `Репост от ${h}: ${q}`, (h, q) => `${q} (via ${h})`],
    plain: ['Попалось в ленте, очень мило!', 'Сохраню на потом.', 'Не могу налюбоваться.'],
  },
  names: {
    first: [
      ['Анна', 'anna'],
      ['Мария', 'maria'],
      ['Дарья', 'darya'],
      ['Иван', 'ivan'],
      ['Дмитрий', 'dmitry'],
      ['Алексей', 'alexey'],
      ['Екатерина', 'ekaterina'],
      ['Максим', 'maxim'],
      ['Ольга', 'olga'],
      ['Никита', 'nikita'],
    ],
    // Initials only: Russian surnames change with gender.
    last: [
      ['К.', 'k'],
      ['С.', 's'],
      ['П.', 'p'],
      ['М.', 'm'],
      ['В.', 'v'],
      ['Н.', 'n'],
      ['Л.', 'l'],
      ['Т.', 't'],
    ],
    display: (f, l) => `${f} ${l}`,
  },
};

// ---------------------------------------------------------------- Swedish
const SV_COLOUR: Record<ColourKey, string> = {
  white: 'vit',
  black: 'svart',
  grey: 'grå',
  red: 'röd',
  orange: 'orange',
  yellow: 'gul',
  green: 'grön',
  blue: 'blå',
  lightblue: 'ljusblå',
  navy: 'marinblå',
  purple: 'lila',
  pink: 'rosa',
  brown: 'brun',
  beige: 'beige',
  turquoise: 'turkos',
};
const sv: LangPack = {
  name: 'Swedish',
  quote: (s) => `”${s}”`,
  place: (label, pos) =>
    `emojin ”${label}” ${
      {
        tl: 'uppe till vänster',
        t: 'upptill',
        tr: 'uppe till höger',
        l: 'till vänster',
        c: 'i mitten',
        r: 'till höger',
        bl: 'nere till vänster',
        b: 'nedtill',
        br: 'nere till höger',
      }[pos]
    }`,
  and: ' och ',
  background: (bg) => {
    switch (bg.kind) {
      case 'white':
        return 'mot vit bakgrund';
      case 'plain':
        return `mot en enfärgad ${SV_COLOUR[bg.colour]} bakgrund`;
      case 'vgrad':
        return `mot en lodrät toning, ${SV_COLOUR[bg.top]} upptill och ${SV_COLOUR[bg.bottom]} nedtill`;
      case 'hgrad':
        return `mot en vågrät toning, ${SV_COLOUR[bg.left]} till vänster och ${SV_COLOUR[bg.right]} till höger`;
      case 'scene':
        return {
          meadow: 'mot en blå himmel ovanför grönt gräs',
          sea: 'framför en havshorisont',
          sunset: 'mot en solnedgångshimmel',
          night: 'under en stjärnhimmel',
          beach: 'på en strand, mellan hav och sand',
          snow: 'i ett snölandskap',
        }[bg.scene];
      case 'pattern':
        return {
          checker: 'mot ett schackrutigt mönster',
          stripes: 'mot ett diagonalrandigt mönster',
          dots: 'mot ett prickigt mönster',
        }[bg.pattern];
    }
  },
  captions: [
    (w, b) => `Ny bild: ${w}, ${b}.`,
    (w, b) => `Dagens lilla komposition: ${w}, ${b}.`,
    (w, b) => `Egengjord! ${ucfirst(w)}, ${b}.`,
    (w, b) => `Idag satte jag ${w}, ${b}. Enkelt, men jag gillar det.`,
    (w, b) => `Vad tycker ni? ${ucfirst(w)}, ${b}.`,
  ],
  alts: [(w, b) => `Bild med ${w}, ${b}.`, (w, b) => `Illustration: ${w}, ${b}.`],
  hashtags: ['#emoji', '#konst', '#teckning', '#design'],
  contact: {
    email: (e) => `Tryck på beställning: ${e}`,
    phone: (p) => `Ring mig på ${p}`,
    mention: (m) => `Tack ${m}!`,
    url: (u) => `Mer på ${u}`,
  },
  phone: (r) => `070-${d(r, 3)} ${d(r, 2)} ${d(r, 2)}`,
  repost: {
    credit: [(h) => `Älskar den här av ${h}`, (h) => `Så fin, av ${h}`],
    quote: [(h, q) => `Repost från ${h}: ${q}`, (h, q) => `${q} (via ${h})`],
    plain: ['Hittade den i flödet, så söt!', 'Sparar den till senare.', 'Kan inte sluta titta på den.'],
  },
  names: {
    first: same(['Elsa', 'Alice', 'Maja', 'Oscar', 'William', 'Hugo', 'Astrid', 'Erik', 'Saga', 'Nils', 'Ebba', 'Liam']),
    last: same(['Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson']),
    display: (f, l) => `${f} ${l}`,
  },
};

export const LANG_PACKS: Record<Lang, LangPack> = { en, fr, de, es, it, pt, nl, pl, ja, ru, sv };

/** Share of accounts writing in each language. */
export const LANGUAGE_WEIGHTS: readonly (readonly [Lang, number])[] = [
  ['en', 22],
  ['fr', 16],
  ['de', 10],
  ['es', 10],
  ['it', 7],
  ['pt', 7],
  ['nl', 5],
  ['pl', 5],
  ['ja', 7],
  ['ru', 6],
  ['sv', 5],
];

export function ucfirst(s: string): string {
  const first = s.codePointAt(0);
  if (first === undefined) return s;
  const ch = String.fromCodePoint(first);
  return ch.toLocaleUpperCase() + s.slice(ch.length);
}

/** "#word" from an emojibase keyword, or null when too little is left of it. */
export function hashtag(tag: string): string | null {
  const body = tag.normalize('NFC').replace(/[^\p{L}\p{N}]+/gu, '');
  const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(body);
  // Skip one- and two-letter keywords ("o", "jm"): nobody tags those.
  return [...body].length >= (cjk ? 2 : 3) ? `#${body.toLocaleLowerCase()}` : null;
}

/** ASCII, lowercase, letters and digits only (for handles and e-mail addresses). */
export function asciiSlug(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}
