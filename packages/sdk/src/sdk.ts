// Entry of the script-tag build (dist/sdk.js).
import { boot } from './script';

boot(document.currentScript as HTMLScriptElement);
