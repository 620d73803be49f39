// Every test file's folders (the memory test's holds a 30 MB file) go when the file is done.
import { afterAll } from 'vitest';
import { removeTmp } from './helpers';

afterAll(removeTmp);
