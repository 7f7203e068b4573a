// Adds Testing Library's DOM matchers (toBeInTheDocument, …) to vitest's expect.
import '@testing-library/jest-dom/vitest';
import { configure } from '@testing-library/react';

// findBy*/waitFor wait up to 5 s instead of 1 s: on a loaded 2-core CI machine a state update
// after a rejected promise can take longer than a second to render. A real failure still fails.
configure({ asyncUtilTimeout: 5000 });
