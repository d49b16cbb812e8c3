import { webUpdatesSuite } from '../lib/suite.mjs';

webUpdatesSuite('v2-polling');
