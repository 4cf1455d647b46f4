import { KEEP, drop } from '../../core/types.ts';
import { isReservedDataMining } from '../../ingest/media.ts';
import type { Rule } from './index.ts';

/** Machine-readable reservations in the file itself: IPTC/PLUS DataMining and C2PA training-mining. */
export const reservation: Rule = {
  name: 'reservation',
  evaluate(f, { policy }) {
    if (!policy.content.honourReservations || !f.media) return KEEP;
    if (isReservedDataMining(f.media.dataMining)) return drop('rights_reserved', `plus:DataMining=${f.media.dataMining}`);
    if (f.media.c2paTraining === 'notAllowed') return drop('rights_reserved', 'C2PA training-mining: notAllowed');
    return KEEP;
  },
};
