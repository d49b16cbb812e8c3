import { webUpdatesSuite } from '../lib/suite.mjs';

webUpdatesSuite('v4-websocket');
